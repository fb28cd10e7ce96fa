// KinesisSinkCounters: every outcome of a Kinesis sink, counted, for metrics
// and tests. Plain atomics plus a locked map of error codes.
//
// Threading: all members are safe to read and update from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace streamgate::kinesis {

struct KinesisSinkCounters {
  // Records.
  std::atomic<uint64_t> records_accepted{0};       // taken by Write
  std::atomic<uint64_t> records_delivered{0};      // stored (SequenceNumber)
  std::atomic<uint64_t> records_retried{0};        // retry decisions (one per retry)
  std::atomic<uint64_t> records_dead_lettered{0};  // given up, with a reason
  std::atomic<uint64_t> possible_duplicates{0};    // sent, answer lost, sent again
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

}  // namespace streamgate::kinesis
