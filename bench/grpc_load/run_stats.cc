#include "bench/grpc_load/run_stats.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace streamgate::bench {
namespace {

double PerSecond(int64_t n, absl::Duration d) {
  const double s = absl::ToDoubleSeconds(d);
  return s > 0 ? static_cast<double>(n) / s : 0;
}

std::string ErrorsByCode(const std::map<int, int64_t>& errors) {
  if (errors.empty()) return "none";
  return absl::StrJoin(errors, ",", [](std::string* out, const auto& kv) {
    absl::StrAppend(out, kv.first, ":", kv.second);
  });
}

}  // namespace

int64_t RunStats::errors() const {
  int64_t n = 0;
  for (const auto& [code, count] : errors_by_code) n += count;
  return n;
}

std::string RunStats::MachineLine(const LoadOptions& o) const {
  return absl::StrFormat(
      "RESULT mode=%s target=%s inflight=%d window=%d batch=%d seconds=%.3f "
      "events_sent=%d events_acked=%d messages_acked=%d events_per_s=%.0f "
      "messages_per_s=%.0f p50_us=%.1f p99_us=%.1f max_us=%.1f "
      "resource_exhausted=%d retries=%d errors=%d errors_by_code=%s ok=%d",
      ModeName(o.mode), o.target, o.inflight, o.window,
      o.mode == LoadMode::kBatch ? o.batch : 1, absl::ToDoubleSeconds(elapsed),
      events_sent, events_acked, messages_acked,
      PerSecond(events_acked, elapsed), PerSecond(messages_acked, elapsed),
      latency.QuantileNanos(0.50) / 1e3, latency.QuantileNanos(0.99) / 1e3,
      latency.max_nanos() / 1e3, resource_exhausted, retries, errors(),
      ErrorsByCode(errors_by_code), fatal.empty() && errors() == 0 ? 1 : 0);
}

std::string RunStats::HumanLine(const LoadOptions& o) const {
  std::string shape;
  switch (o.mode) {
    case LoadMode::kUnary:
      shape = absl::StrCat("unary PublishEvent, ", o.inflight, " in flight");
      break;
    case LoadMode::kStream:
      shape = absl::StrCat("Publish stream, 1 event/message, window ", o.window);
      break;
    case LoadMode::kBatch:
      shape = absl::StrCat("Publish stream, ", o.batch,
                           " events/message, window ", o.window);
      break;
  }
  std::string line = absl::StrFormat(
      "%s: %.0f events/s (%.0f messages/s) acked over %.2f s; ack latency "
      "p50 %.0f us, p99 %.0f us, max %.0f us; %d RESOURCE_EXHAUSTED "
      "(retried), %d errors",
      shape, PerSecond(events_acked, elapsed),
      PerSecond(messages_acked, elapsed), absl::ToDoubleSeconds(elapsed),
      latency.QuantileNanos(0.50) / 1e3, latency.QuantileNanos(0.99) / 1e3,
      latency.max_nanos() / 1e3, resource_exhausted, errors());
  if (!errors_by_code.empty()) {
    absl::StrAppend(&line, " (code:count ", ErrorsByCode(errors_by_code), ")");
  }
  if (!fatal.empty()) absl::StrAppend(&line, "; STOPPED: ", fatal);
  return line;
}

}  // namespace streamgate::bench
