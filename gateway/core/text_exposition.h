// TextExposition: a MetricsWriter that renders the Prometheus text format
// (version 0.0.4): one HELP and TYPE line per family, the family's samples
// together, label values escaped (\\, \", \n), histograms as _bucket/_sum/
// _count with an le label.
//
// Threading: one scrape, one thread.
#pragma once

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "gateway/api/metrics_writer.h"

namespace streamgate::metrics {

class TextExposition : public MetricsWriter {
 public:
  void Counter(absl::string_view name, absl::string_view help,
               const Labels& labels, double value) override;
  void Gauge(absl::string_view name, absl::string_view help,
             const Labels& labels, double value) override;
  void Histogram(absl::string_view name, absl::string_view help,
                 const Labels& labels,
                 const HistogramSnapshot& value) override;

  // The families in the order they were first reported.
  std::string Render() const;

 private:
  struct Family {
    std::string name;
    std::string help;
    const char* type;
    std::string samples;  // rendered lines
  };
  Family& GetFamily(absl::string_view name, absl::string_view help,
                    const char* type);

  std::vector<Family> families_;
  absl::flat_hash_map<std::string, size_t> index_;
};

// Exposed for tests: a label value or HELP text escaped for the format.
std::string EscapeLabelValue(absl::string_view value);
std::string EscapeHelp(absl::string_view help);
// A sample value: integers without a fraction, +Inf/-Inf/NaN spelled out.
std::string FormatValue(double value);

}  // namespace streamgate::metrics
