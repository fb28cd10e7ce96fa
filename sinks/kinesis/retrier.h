// Retrier: decides what happens to each record of a PutRecords request once
// its answer (or failure) is known. The response's Records are matched to
// the request by index: a SequenceNumber means delivered for good; an
// ErrorCode means retry that record alone (exponential backoff, full
// jitter), or dead-letter it when the error cannot heal. Whole-request
// failures (5xx, throttling, timeouts, resets) retry every record the same
// way; non-retryable ones dead-letter them at once. A record whose next
// attempt would fall after its record_ttl is dead-lettered instead. When a
// request was sent but no answer came, its records are marked as possible
// duplicates.
//
// Pure: time and randomness are injected; no I/O. Not thread-safe (the
// sink calls it from its HTTP thread only).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sinks/aws/http_client.h"
#include "sinks/kinesis/pending_record.h"

namespace streamgate::kinesis {

struct RetryPolicy {
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(10);
  absl::Duration record_ttl = absl::Seconds(600);
};

// Whether an AWS error code (per record, or a whole request's `__type`) may
// succeed on retry. `http_status` is 0 for a per-record error.
bool IsRetryableError(absl::string_view code, long http_status);

// Whether a record's last_error (or a request's code) says the stream
// refused it for throughput: the per-shard rate limiter backs off.
bool IsThrottlingError(absl::string_view error);

enum class RequestOutcome {
  kOk,                 // every record stored
  kPartial,            // some records failed (FailedRecordCount > 0)
  kRetryableFailure,   // whole request failed, will retry
  kFatalFailure,       // whole request failed, dead-lettered
  kTransportError,     // no HTTP answer
};

const char* RequestOutcomeName(RequestOutcome o);

struct RetryOutcome {
  RequestOutcome request = RequestOutcome::kOk;
  std::string request_error;   // error code of a whole-request failure
  std::string request_message; // its message (never contains secrets)
  size_t delivered = 0;
  size_t delivered_bytes = 0;  // data + keys of the delivered records
  size_t newly_possible_duplicates = 0;
  // The stored records themselves: their keys free the ordering gate and
  // their shards get the rate feedback.
  PendingBatch stored;
  PendingBatch retry;  // not_before set; attempts counted
  PendingBatch dead;   // last_error set
  std::map<std::string, size_t> record_errors;  // per-record ErrorCode counts
  std::vector<std::string> shard_ids;  // where the stored ones went (codec.h)
};

class Retrier {
 public:
  // `uniform01` returns a value in [0, 1); defaults to a real random source.
  explicit Retrier(RetryPolicy policy, std::function<double()> uniform01 = nullptr);

  // `sent` is the request's records in request order; `attempts` is not yet
  // incremented for this attempt.
  RetryOutcome OnResponse(PendingBatch sent, const aws::HttpResponse& response,
                          absl::Time now);

  // A request that could not be built or sent (e.g. no credentials).
  RetryOutcome OnLocalFailure(PendingBatch sent, absl::string_view code,
                              absl::string_view message, absl::Time now);

  // Full-jitter backoff before attempt `attempts + 1`: uniform in
  // [0, min(max_backoff, initial_backoff * 2^(attempts - 1))].
  absl::Duration Backoff(int attempts);

 private:
  // Retry or dead-letter one failed record.
  void Fail(PendingRecord record, const std::string& error, bool retryable,
            absl::Time now, RetryOutcome& out);
  RetryOutcome FailAll(PendingBatch sent, const std::string& code,
                       const std::string& message, bool retryable,
                       RequestOutcome outcome, absl::Time now);

  RetryPolicy policy_;
  std::function<double()> uniform01_;
};

}  // namespace streamgate::kinesis
