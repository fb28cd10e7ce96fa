// KinesisSinkMetrics: what a Kinesis sink counts of its own (retries,
// requests by outcome, errors by code, possible duplicates, request
// latency) and how it reports them on /metrics. Delivered and dead-lettered
// records are not here: the module counts them from the sink's
// DeliveryReports (gateway/api/sink.h).
//
// Threading: every member may be updated and read from any thread (atomics,
// a locked map, a lock-free histogram).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "gateway/api/metrics_writer.h"
#include "gateway/common/histogram.h"
#include "sinks/kinesis/retrier.h"

namespace streamgate::kinesis {

struct KinesisSinkCounters {
  // Records.
  std::atomic<uint64_t> records_accepted{0};     // taken by Deliver
  std::atomic<uint64_t> records_retried{0};      // retry decisions (one per retry)
  std::atomic<uint64_t> possible_duplicates{0};  // sent, answer lost, sent again
  // Requests by outcome.
  std::atomic<uint64_t> requests_sent{0};
  std::atomic<uint64_t> requests_ok{0};
  std::atomic<uint64_t> requests_partial{0};
  std::atomic<uint64_t> requests_retryable_failure{0};
  std::atomic<uint64_t> requests_fatal_failure{0};
  std::atomic<uint64_t> requests_transport_error{0};

  // Error code (per record or per request) -> occurrences.
  void CountError(const std::string& code, uint64_t n) {
    absl::MutexLock lock(&mu_);
    errors_by_code_[code] += n;
  }
  std::map<std::string, uint64_t> ErrorsByCode() const {
    absl::MutexLock lock(&mu_);
    return errors_by_code_;
  }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, uint64_t> errors_by_code_ ABSL_GUARDED_BY(mu_);
};

class KinesisSinkMetrics {
 public:
  // One request's outcome: its kind, retries, duplicates and error codes.
  void Count(const RetryOutcome& outcome);
  // Send to answer (or transport error) of one PutRecords request.
  void ObserveRequest(absl::Duration latency) {
    request_seconds_.Observe(absl::ToDoubleSeconds(latency));
  }

  // The streamgate_kinesis_* families, without the module label (the
  // module adds it; delivered, dead-lettered and retried are the module's,
  // counted from each batch's DeliveryReport).
  void Collect(metrics::MetricsWriter& out) const;

  KinesisSinkCounters& counters() { return counters_; }
  const KinesisSinkCounters& counters() const { return counters_; }

 private:
  KinesisSinkCounters counters_;
  metrics::LatencyHistogram request_seconds_;
};

}  // namespace streamgate::kinesis
