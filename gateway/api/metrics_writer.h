// MetricsWriter: the interface a component reports its metrics through when
// the /metrics endpoint is scraped (Sink::CollectMetrics,
// Adapter::CollectMetrics). Header-only and abstract so sinks and adapters
// report without linking the exporter. Names follow Prometheus conventions
// (streamgate_..._total for counters, base units); the caller adds the
// `module` label, so a sink reports only its own labels.
//
// Threading: a writer is used by one thread for the duration of one scrape;
// what a component reads to fill it must be safe to read from that thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace streamgate::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// A histogram's state at one moment. `buckets[i]` counts observations
// <= `bounds[i]` (cumulative, as Prometheus exposes them); `count` is the
// +Inf bucket.
struct HistogramSnapshot {
  std::vector<double> bounds;
  std::vector<uint64_t> buckets;
  double sum = 0;
  uint64_t count = 0;
};

class MetricsWriter {
 public:
  virtual ~MetricsWriter() = default;

  // Each call adds one sample to the family `name`; every sample of a family
  // must use the same kind and help text.
  virtual void Counter(absl::string_view name, absl::string_view help,
                       const Labels& labels, double value) = 0;
  virtual void Gauge(absl::string_view name, absl::string_view help,
                     const Labels& labels, double value) = 0;
  virtual void Histogram(absl::string_view name, absl::string_view help,
                         const Labels& labels,
                         const HistogramSnapshot& value) = 0;
};

// Adds fixed labels (e.g. module="x") in front of every sample's own.
class LabeledWriter : public MetricsWriter {
 public:
  LabeledWriter(MetricsWriter& out, Labels fixed)
      : out_(out), fixed_(std::move(fixed)) {}

  void Counter(absl::string_view name, absl::string_view help,
               const Labels& labels, double value) override {
    out_.Counter(name, help, Join(labels), value);
  }
  void Gauge(absl::string_view name, absl::string_view help,
             const Labels& labels, double value) override {
    out_.Gauge(name, help, Join(labels), value);
  }
  void Histogram(absl::string_view name, absl::string_view help,
                 const Labels& labels,
                 const HistogramSnapshot& value) override {
    out_.Histogram(name, help, Join(labels), value);
  }

 private:
  Labels Join(const Labels& labels) const {
    Labels all = fixed_;
    all.insert(all.end(), labels.begin(), labels.end());
    return all;
  }

  MetricsWriter& out_;
  const Labels fixed_;
};

}  // namespace streamgate::metrics
