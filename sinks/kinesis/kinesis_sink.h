// KinesisSink: a module's records to one Kinesis stream through PutRecords.
// Pipeline: Write -> Batcher -> (sender thread) Codec + RequestSigner ->
// HttpClient (its own thread, several requests in flight) -> Retrier ->
// delivered / back into the Batcher after a backoff / DeadLetterWriter.
//
// Deliver tags each record with a ticket; a batch's `done` runs when its
// last record is delivered or dead-lettered, so a spool frees it only then.
// At Close, records not yet delivered are dead-lettered — unless the
// module's queue is durable: then they are dropped here and their batches
// stay unsettled in the spool, which replays them on the next start.
//
// Threading: one module thread calls Start, Write, Deliver, Flush and Close
// (the Sink contract); `done` callbacks run on the HTTP or module thread. Write blocks while the records not yet delivered (in the
// batcher, in flight or waiting to retry) exceed a bound, which pushes back
// onto the module's queue. counters() may be read from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gateway/common/histogram.h"
#include "sinks/aws/credentials_provider.h"
#include "sinks/kinesis/batcher.h"
#include "sinks/kinesis/config.h"
#include "sinks/kinesis/counters.h"
#include "sinks/kinesis/dead_letter_writer.h"
#include "sinks/kinesis/http_client.h"
#include "gateway/common/log_limiter.h"
#include "sinks/kinesis/request_signer.h"
#include "sinks/kinesis/retrier.h"
#include "gateway/api/sink.h"

namespace streamgate::kinesis {

// Builds the credentials provider at Start (it may do I/O, Create may not).
using CredentialsFactory =
    std::function<absl::StatusOr<std::unique_ptr<aws::CredentialsProvider>>()>;

class KinesisSink : public Sink {
 public:
  KinesisSink(KinesisConfig config, SinkContext context,
              CredentialsFactory credentials);
  ~KinesisSink() override;

  absl::Status Start() override;
  void Write(OutBatch batch) override;
  void Deliver(OutBatch batch, BatchDone done) override;
  absl::Status Flush(absl::Time deadline) override;
  void Close() override;

  const KinesisSinkCounters& counters() const { return counters_; }

  // Delivered/retried/dead-lettered records, requests by outcome, errors by
  // code and the PutRecords latency histogram, from counters().
  void CollectMetrics(metrics::MetricsWriter& out) const override;
  bool ReportsDelivery() const override { return true; }

 private:
  // Records of one Deliver call still unsettled, and its completion.
  struct Ticket {
    size_t remaining = 0;
    BatchDone done;
  };
  // Settled records per ticket (few per request: batches are contiguous).
  using TicketCounts = std::vector<std::pair<uint64_t, size_t>>;

  // Write/Deliver: queues `batch` under `ticket` (0: none), dead-letters
  // the records Kinesis would refuse.
  void Accept(OutBatch batch, uint64_t ticket, BatchDone done);
  static void CountTickets(const PendingBatch& records, TicketCounts& counts);
  // Marks `counts` records settled; runs the `done` of finished tickets
  // (outside mu_).
  void Settle(const TicketCounts& counts);
  void SenderLoop();
  void Dispatch(PendingBatch batch);
  void OnDone(PendingBatch batch, HttpResponse response);
  // Counts, logs, dead-letters and re-queues one request's outcome.
  // `sent` counts the request's records per ticket.
  void Apply(RetryOutcome outcome, TicketCounts sent);
  void LogOutcome(const RetryOutcome& outcome, absl::Time now);
  void DeadLetter(const PendingBatch& records);

  const KinesisConfig config_;
  const std::string module_id_;
  const bool durable_queue_;
  DeadLetterFile* const shared_dead_letters_;
  CredentialsFactory credentials_factory_;
  const size_t max_pending_records_;
  const size_t max_pending_bytes_;

  std::unique_ptr<aws::CredentialsProvider> credentials_;
  std::unique_ptr<RequestSigner> signer_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<DeadLetterWriter> dead_letters_;
  KinesisSinkCounters counters_;
  // Send to response (or transport error) of each PutRecords request.
  metrics::LatencyHistogram request_seconds_;
  LogLimiter log_limiter_{absl::Seconds(10)};

  absl::Mutex retrier_mu_;
  Retrier retrier_ ABSL_GUARDED_BY(retrier_mu_);

  absl::Mutex mu_;
  absl::CondVar cv_;  // any change of the state below
  Batcher batcher_ ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  size_t pending_records_ ABSL_GUARDED_BY(mu_) = 0;  // accepted, not final
  size_t pending_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int flushers_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, Ticket> tickets_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ = false;
  bool closed_ = false;
  std::thread sender_;
};

}  // namespace streamgate::kinesis
