// RequestSender: one PutRecords attempt for a batch of pending records.
// Encodes the request (codec), signs it (RequestSigner), sends it
// (HttpClient), and once the answer or the failure is known asks the
// Retrier what becomes of each record, tallied per Deliver ticket. Hands
// the verdict to a callback; knows nothing of batching, backpressure, dead
// letters or logs (the sink's job).
//
// Threading: Send may be called from any thread. `done` runs on the HTTP
// client's thread, or on the caller's when the request could not be built
// (no credentials).
#pragma once

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sinks/aws/http_client.h"
#include "sinks/kinesis/delivery_tracker.h"
#include "sinks/kinesis/pending_record.h"
#include "sinks/kinesis/request_signer.h"
#include "sinks/kinesis/retrier.h"
#include "sinks/kinesis/sink_metrics.h"

namespace streamgate::kinesis {

class RequestSender {
 public:
  struct Result {
    RetryOutcome outcome;  // delivered count, records to retry, dead ones
    Tallies tallies;       // the same, per ticket
  };
  using Done = std::function<void(Result)>;

  // Everything given must outlive the sender.
  RequestSender(std::string stream_name, const RequestSigner& signer,
                const aws::HttpClient& http, RetryPolicy policy,
                KinesisSinkMetrics& metrics);

  void Send(PendingBatch batch, Done done);

 private:
  // Runs `judge` on `sent` (under the retrier's lock) and tallies its
  // verdict per ticket.
  Result Judge(PendingBatch sent,
               const std::function<RetryOutcome(Retrier&, PendingBatch)>& judge);

  const std::string stream_name_;
  const RequestSigner& signer_;
  const aws::HttpClient& http_;
  KinesisSinkMetrics& metrics_;
  absl::Mutex retrier_mu_;
  Retrier retrier_ ABSL_GUARDED_BY(retrier_mu_);
};

}  // namespace streamgate::kinesis
