// KinesisSink: a module's records to one Kinesis stream through PutRecords,
// as small stages that only know callbacks:
//   Deliver -> KeyOrder (per-key order) -> ShardAssembler (per-shard
//   queues and rate limits) -> (sender thread) RequestSender [codec,
//   signer, HttpClient, Retrier] -> Apply: stored (frees the key's next
//   record) / back into the assembler after a backoff / DeadLetterWriter;
//   DeliveryTracker completes each Deliver call's `done` with its
//   DeliveryReport when its last record settles.
// The shard map comes from StreamMetadata (ListShards) at Start and from
// the refresher thread every shard_refresh_s (sooner when an answer names
// a shard the map lacks, or a record's hash falls outside every range);
// Start refuses a max_record_bytes above the stream's limit
// (DescribeStreamSummary).
//
// At Close, records not yet stored are dead-lettered when the module's
// queue is in memory (and logged with one count), but reported undelivered
// when it is durable: the spool replays them on the next start, so nothing
// is dead-lettered for an outage that spans a restart.
//
// Logs go through the module's logger (SinkContext::logger), which names
// the module. Delivered and dead-lettered counts are the module's, from
// the reports; CollectMetrics adds retries, requests, errors and latency.
//
// Threading: the module's worker thread calls Start, Deliver, Flush and
// Close (the Sink contract); `done` callbacks run on the HTTP client's
// thread, the sender thread or the worker thread, always before Close
// returns. The refresher thread only swaps the shard map in, under mu_.
// Deliver blocks while the records not yet settled (in the key gate or the
// assembler, in flight or waiting to retry) exceed a bound, which pushes
// back onto the module's queue. counters() and CollectMetrics may be used
// from any thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gateway/api/sink.h"
#include "sinks/aws/credentials_provider.h"
#include "sinks/aws/http_client.h"
#include "sinks/kinesis/config.h"
#include "sinks/kinesis/dead_letter_writer.h"
#include "sinks/kinesis/delivery_tracker.h"
#include "sinks/kinesis/key_order.h"
#include "sinks/kinesis/outcome_log.h"
#include "sinks/kinesis/request_sender.h"
#include "sinks/kinesis/request_signer.h"
#include "sinks/kinesis/shard_assembler.h"
#include "sinks/kinesis/shard_map_refresher.h"
#include "sinks/kinesis/sink_metrics.h"
#include "sinks/kinesis/stream_metadata.h"

namespace streamgate::kinesis {

// Builds the credentials provider at Start (it may do I/O, Create may not).
using CredentialsFactory =
    std::function<absl::StatusOr<std::unique_ptr<aws::CredentialsProvider>>()>;

// The longest PutRecords answer read (~150 bytes a record are expected);
// a longer one is cut off and treated as a lost answer.
inline constexpr size_t kMaxPutRecordsAnswerBytes = 8 << 20;

class KinesisSink : public Sink {
 public:
  // `context.logger` must be set (the gateway always sets it).
  KinesisSink(KinesisConfig config, SinkContext context,
              CredentialsFactory credentials);
  ~KinesisSink() override;

  absl::Status Start() override;
  void Deliver(OutBatch batch, DeliveryDone done) override;
  absl::Status Flush(absl::Time deadline) override;
  void Close() override;
  void CollectMetrics(metrics::MetricsWriter& out) const override;

  const KinesisSinkCounters& counters() const { return metrics_.counters(); }

 private:
  // Deliver's records that Kinesis would refuse (size, key), dead-lettered
  // at once; `ticket` then settles them.
  void Refuse(PendingBatch refused, uint64_t ticket);
  void SenderLoop();
  // Start's DescribeStreamSummary check and first shard map.
  absl::Status LoadStreamMetadata();
  // A loaded map into the assembler; logs a reshard. Start's thread and
  // the refresher's.
  void InstallMap(ShardMap map) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gives a settled record's key its next held record, if any.
  void ReleaseKey(const std::string& key, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One request's verdict: counts, logs, dead-letters, re-queues, settles.
  void Apply(RequestSender::Result result);
  void DeadLetter(const PendingBatch& records);
  // Close's end: dead-letters (memory queue) or reports undelivered
  // (spool) what never got stored.
  void SettleLeftovers(PendingBatch left);

  const KinesisConfig config_;
  const std::string module_id_;
  const bool durable_queue_;
  DeadLetterFile* const shared_dead_letters_;
  const std::shared_ptr<spdlog::logger> logger_;
  CredentialsFactory credentials_factory_;
  const size_t max_pending_records_;
  const size_t max_pending_bytes_;

  KinesisSinkMetrics metrics_;
  OutcomeLog outcome_log_;
  DeliveryTracker tracker_;
  std::unique_ptr<aws::CredentialsProvider> credentials_;
  std::unique_ptr<RequestSigner> signer_;
  std::unique_ptr<aws::HttpClient> http_;
  std::unique_ptr<RequestSender> sender_;
  std::unique_ptr<DeadLetterWriter> dead_letters_;
  std::unique_ptr<aws::HttpClient> control_http_;  // ListShards, Describe...
  std::unique_ptr<StreamMetadata> metadata_;

  mutable absl::Mutex mu_;
  absl::CondVar cv_;  // any change of the state below
  KeyOrder key_order_ ABSL_GUARDED_BY(mu_);
  ShardAssembler assembler_ ABSL_GUARDED_BY(mu_);
  absl::Time map_loaded_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t reshards_ ABSL_GUARDED_BY(mu_) = 0;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  size_t pending_records_ ABSL_GUARDED_BY(mu_) = 0;  // accepted, not settled
  size_t pending_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int flushers_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ = false;
  bool closed_ = false;
  std::thread sender_thread_;
  // Declared last: destroyed (stopped) first, before what it calls into.
  std::unique_ptr<ShardMapRefresher> refresher_;
};

}  // namespace streamgate::kinesis
