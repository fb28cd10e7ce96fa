#include "sinks/kinesis/sink_metrics.h"

#include <utility>

namespace streamgate::kinesis {

void KinesisSinkMetrics::Count(const RetryOutcome& outcome) {
  KinesisSinkCounters& c = counters_;
  switch (outcome.request) {
    case RequestOutcome::kOk: ++c.requests_ok; break;
    case RequestOutcome::kPartial: ++c.requests_partial; break;
    case RequestOutcome::kRetryableFailure: ++c.requests_retryable_failure; break;
    case RequestOutcome::kFatalFailure: ++c.requests_fatal_failure; break;
    case RequestOutcome::kTransportError: ++c.requests_transport_error; break;
  }
  c.records_retried += outcome.retry.size();
  c.possible_duplicates += outcome.newly_possible_duplicates;
  for (const auto& [code, n] : outcome.record_errors) c.CountError(code, n);
  if (!outcome.request_error.empty()) c.CountError(outcome.request_error, 1);
}

void KinesisSinkMetrics::Collect(metrics::MetricsWriter& out) const {
  auto load = [](const std::atomic<uint64_t>& v) {
    return static_cast<double>(v.load(std::memory_order_relaxed));
  };
  const KinesisSinkCounters& c = counters_;
  out.Counter("streamgate_kinesis_possible_duplicates_total",
              "Records sent again after an answer was lost (the stream may "
              "hold them twice).",
              {}, load(c.possible_duplicates));
  out.Counter("streamgate_kinesis_requests_sent_total",
              "PutRecords requests sent.", {}, load(c.requests_sent));
  const char* kOutcomeHelp = "PutRecords requests by outcome.";
  const std::pair<const char*, const std::atomic<uint64_t>*> outcomes[] = {
      {"ok", &c.requests_ok},
      {"partial", &c.requests_partial},
      {"retryable_failure", &c.requests_retryable_failure},
      {"fatal_failure", &c.requests_fatal_failure},
      {"transport_error", &c.requests_transport_error}};
  for (const auto& [name, value] : outcomes) {
    out.Counter("streamgate_kinesis_requests_total", kOutcomeHelp,
                {{"outcome", name}}, load(*value));
  }
  for (const auto& [code, n] : c.ErrorsByCode()) {
    out.Counter("streamgate_kinesis_errors_total",
                "Kinesis errors by code (per failed record or request).",
                {{"code", code}}, static_cast<double>(n));
  }
  out.Histogram("streamgate_kinesis_request_duration_seconds",
                "PutRecords request latency, send to answer, in seconds.", {},
                request_seconds_.Snapshot());
}

}  // namespace streamgate::kinesis
