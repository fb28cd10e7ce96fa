#include "gateway/core/text_exposition.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace streamgate::metrics {
namespace {

std::string RenderLabels(const Labels& labels, const char* extra_name = nullptr,
                         const std::string& extra_value = "") {
  if (labels.empty() && extra_name == nullptr) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    absl::StrAppend(&out, k, "=\"", EscapeLabelValue(v), "\"");
  }
  if (extra_name != nullptr) {
    if (!first) out += ",";
    absl::StrAppend(&out, extra_name, "=\"", EscapeLabelValue(extra_value),
                    "\"");
  }
  out += "}";
  return out;
}

}  // namespace

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string EscapeHelp(absl::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Counters are integers; print them exactly rather than in %g's exponent.
  if (value == std::floor(value) && std::fabs(value) < 9.007199254740992e15) {
    return absl::StrCat(static_cast<int64_t>(value));
  }
  // The shortest text that reads back as the same double (0.001, not
  // 0.0010000000000000000208).
  char buf[32];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

TextExposition::Family& TextExposition::GetFamily(absl::string_view name,
                                                  absl::string_view help,
                                                  const char* type) {
  auto it = index_.find(name);
  if (it != index_.end()) return families_[it->second];
  index_.emplace(std::string(name), families_.size());
  families_.push_back(Family{std::string(name), std::string(help), type, ""});
  return families_.back();
}

void TextExposition::Counter(absl::string_view name, absl::string_view help,
                             const Labels& labels, double value) {
  Family& f = GetFamily(name, help, "counter");
  absl::StrAppend(&f.samples, name, RenderLabels(labels), " ",
                  FormatValue(value), "\n");
}

void TextExposition::Gauge(absl::string_view name, absl::string_view help,
                           const Labels& labels, double value) {
  Family& f = GetFamily(name, help, "gauge");
  absl::StrAppend(&f.samples, name, RenderLabels(labels), " ",
                  FormatValue(value), "\n");
}

void TextExposition::Histogram(absl::string_view name, absl::string_view help,
                               const Labels& labels,
                               const HistogramSnapshot& value) {
  Family& f = GetFamily(name, help, "histogram");
  for (size_t i = 0; i < value.bounds.size(); ++i) {
    absl::StrAppend(&f.samples, name, "_bucket",
                    RenderLabels(labels, "le", FormatValue(value.bounds[i])),
                    " ", value.buckets[i], "\n");
  }
  absl::StrAppend(&f.samples, name, "_bucket",
                  RenderLabels(labels, "le", "+Inf"), " ", value.count, "\n");
  absl::StrAppend(&f.samples, name, "_sum", RenderLabels(labels), " ",
                  FormatValue(value.sum), "\n");
  absl::StrAppend(&f.samples, name, "_count", RenderLabels(labels), " ",
                  value.count, "\n");
}

std::string TextExposition::Render() const {
  std::string out;
  for (const Family& f : families_) {
    absl::StrAppend(&out, "# HELP ", f.name, " ", EscapeHelp(f.help), "\n",
                    "# TYPE ", f.name, " ", f.type, "\n", f.samples);
  }
  return out;
}

}  // namespace streamgate::metrics
