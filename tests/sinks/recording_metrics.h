// RecordingWriter: a MetricsWriter (gateway/api/metrics_writer.h) that keeps
// every sample, for tests of what a sink's CollectMetrics reports.
// Test-only; one thread.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/api/metrics_writer.h"

namespace streamgate::testing {

struct Sample {
  std::string kind;  // "counter", "gauge" or "histogram"
  std::string name;
  std::string help;
  std::string labels;  // "k=v,k=v"
  double value = 0;    // a histogram's count
};

class RecordingWriter : public metrics::MetricsWriter {
 public:
  void Counter(absl::string_view name, absl::string_view help,
               const metrics::Labels& labels, double value) override {
    Add("counter", name, help, labels, value);
  }
  void Gauge(absl::string_view name, absl::string_view help,
             const metrics::Labels& labels, double value) override {
    Add("gauge", name, help, labels, value);
  }
  void Histogram(absl::string_view name, absl::string_view help,
                 const metrics::Labels& labels,
                 const metrics::HistogramSnapshot& value) override {
    Add("histogram", name, help, labels, static_cast<double>(value.count));
  }

  const std::vector<Sample>& samples() const { return samples_; }
  // Names in the order first reported.
  std::vector<std::string> Families() const {
    std::vector<std::string> out;
    for (const Sample& s : samples_) {
      if (out.empty() || out.back() != s.name) out.push_back(s.name);
    }
    return out;
  }

 private:
  void Add(const char* kind, absl::string_view name, absl::string_view help,
           const metrics::Labels& labels, double value) {
    std::string l;
    for (const auto& [k, v] : labels) absl::StrAppend(&l, l.empty() ? "" : ",", k, "=", v);
    samples_.push_back(Sample{kind, std::string(name), std::string(help), l, value});
  }

  std::vector<Sample> samples_;
};

}  // namespace streamgate::testing
