#include "sinks/kinesis/kinesis_sink.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/common/log_text.h"
#include "gateway/common/logging.h"
#include "gateway/common/status_macros.h"
#include "sinks/aws/url.h"
#include "sinks/kinesis/aggregation/aggregate_settlement.h"
#include "sinks/kinesis/aggregation/kpl_packer.h"

namespace streamgate::kinesis {
namespace {

constexpr size_t kMaxPartitionKeyChars = 256;

}  // namespace

KinesisSink::KinesisSink(KinesisConfig config, SinkContext context,
                         CredentialsFactory credentials)
    : config_(std::move(config)),
      module_id_(std::move(context.module_id)),
      durable_queue_(context.durable_queue),
      shared_dead_letters_(context.dead_letters),
      logger_(std::move(context.logger)),
      credentials_factory_(std::move(credentials)),
      // Enough to keep every request slot busy with a full batch waiting
      // behind it, and no more.
      max_pending_records_(config_.max_records * (config_.max_in_flight + 2) *
                           2),
      max_pending_bytes_(config_.max_request_bytes *
                         (config_.max_in_flight + 2)),
      outcome_log_(logger_, config_.stream_name),
      // With aggregation a key's held records go out in groups of up to
      // half an aggregate, which the packer keeps in one Kinesis record
      // (the other half leaves room for the framing of small records).
      key_order_(
          config_.ordering_per_key,
          config_.aggregation_enabled ? config_.aggregation_max_bytes / 2 : 0),
      assembler_(
          ShardAssembler::Limits{config_.max_records, config_.max_request_bytes,
                                 config_.linger},
          RateLimit{config_.rate_records_per_s, config_.rate_bytes_per_s,
                    config_.rate_adaptive},
          config_.aggregation_enabled
              ? std::make_unique<KplPacker>(config_.aggregation_max_bytes)
              : nullptr,
          absl::Now()) {}

KinesisSink::~KinesisSink() { Close(); }

absl::Status KinesisSink::Start() {
  if (started_) return absl::FailedPreconditionError("sink already started");
  absl::StatusOr<aws::Url> endpoint = aws::ParseEndpoint(config_.endpoint);
  if (!endpoint.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("module ", module_id_,
                     ": sink.endpoint: ", endpoint.status().message()));
  }
  if (!credentials_factory_) {
    return absl::FailedPreconditionError(
        absl::StrCat("module ", module_id_, ": no AWS credentials provider"));
  }
  absl::StatusOr<std::unique_ptr<aws::CredentialsProvider>> creds =
      credentials_factory_();
  if (!creds.ok()) {
    return absl::Status(
        creds.status().code(),
        absl::StrCat("module ", module_id_,
                     ": AWS credentials: ", creds.status().message()));
  }
  credentials_ = *std::move(creds);
  DeadLetterOptions own;
  own.path = config_.dead_letter_path;
  dead_letters_ = std::make_unique<DeadLetterWriter>(
      module_id_, own, shared_dead_letters_, logger_);
  if (absl::Status s = dead_letters_->Open(); !s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat("module ", module_id_, ": ", s.message()));
  }
  aws::HttpOptions http;
  http.max_in_flight = config_.max_in_flight;
  http.request_timeout = config_.request_timeout;
  http.connect_timeout = config_.connect_timeout;
  http.verify_tls = config_.verify_tls;
  http.ca_file = config_.ca_file;
  http.max_response_bytes = kMaxPutRecordsAnswerBytes;
  http_ = std::make_unique<aws::HttpClient>(http);
  signer_ =
      std::make_unique<RequestSigner>(*endpoint, config_.region, *credentials_);
  sender_ = std::make_unique<RequestSender>(
      config_.stream_name, *signer_, *http_,
      RetryPolicy{config_.initial_backoff, config_.max_backoff,
                  config_.record_ttl},
      metrics_);
  aws::HttpOptions control = http;
  control.max_in_flight = 1;
  control.request_timeout =
      std::min(config_.request_timeout, absl::Seconds(10));
  control_http_ = std::make_unique<aws::HttpClient>(control);
  metadata_ = std::make_unique<StreamMetadata>(config_.stream_name, *signer_,
                                               *control_http_);
  RETURN_IF_ERROR(LoadStreamMetadata());
  refresher_ = std::make_unique<ShardMapRefresher>(
      config_.stream_name, config_.shard_refresh,
      [this] { return metadata_->LoadShardMap(); },
      [this](ShardMap map) {
        absl::MutexLock lock(&mu_);
        InstallMap(std::move(map));
      },
      logger_);
  started_ = true;
  sender_thread_ = std::thread([this] { SenderLoop(); });
  bool have_map;
  {
    absl::MutexLock lock(&mu_);
    have_map = !assembler_.map().empty();
  }
  refresher_->Start(have_map);
  return absl::OkStatus();
}

void KinesisSink::Deliver(OutBatch batch, DeliveryDone done) {
  metrics_.counters().records_accepted += batch.size();
  if (batch.empty()) {
    if (done) std::move(done)(DeliveryReport{});
    return;
  }
  const absl::Time now = absl::Now();
  if (!started_ || closed_) {
    // Outside the contract, but still never silent.
    PendingBatch refused;
    for (OutRecord& r : batch) {
      PendingRecord p;
      p.record = std::move(r);
      p.last_error = "sink is not running (Deliver outside Start..Close)";
      refused.push_back(std::move(p));
    }
    DeadLetter(refused);
    DeliveryReport report;
    report.dead_lettered = refused.size();
    if (done) std::move(done)(report);
    return;
  }
  const uint64_t ticket = tracker_.Open(batch.size(), std::move(done));
  PendingBatch refused;
  {
    absl::MutexLock lock(&mu_);
    // Backpressure: wait for room, but never deadlock on an idle sink.
    while (!stopping_ && pending_records_ > 0 &&
           (pending_records_ >= max_pending_records_ ||
            pending_bytes_ >= max_pending_bytes_)) {
      cv_.Wait(&mu_);
    }
    const bool had_ready = assembler_.ready_count() > 0;
    for (OutRecord& r : batch) {
      PendingRecord p;
      p.accepted = now;
      p.not_before = now;
      p.ticket = ticket;
      const size_t size = r.size();
      const size_t key_len = r.partition_key.size();
      p.record = std::move(r);
      if (size > config_.max_record_bytes) {
        p.last_error = absl::StrCat("record is ", size,
                                    " bytes (data + partition key), over "
                                    "sink.max_record_bytes ",
                                    config_.max_record_bytes);
        refused.push_back(std::move(p));
      } else if (key_len == 0 || key_len > kMaxPartitionKeyChars) {
        p.last_error = absl::StrCat("partition key is ", key_len,
                                    " bytes; Kinesis needs 1-256");
        refused.push_back(std::move(p));
      } else {
        pending_bytes_ += size;
        ++pending_records_;
        p.hash_key = HashKeyOf(p.record.partition_key);
        if (std::optional<PendingRecord> go = key_order_.Admit(std::move(p))) {
          assembler_.Add(*std::move(go), now);
        }
      }
    }
    // Wake the sender only when it has something new to do: a first ready
    // record (it needs the linger deadline) or a full batch. Otherwise it is
    // already waiting for that deadline or for a free request slot, and a
    // wake-up per module batch would cost two context switches for nothing.
    if (!had_ready || assembler_.ready_count() >= config_.max_records ||
        flushers_ > 0) {
      cv_.SignalAll();
    }
  }
  if (!refused.empty()) Refuse(std::move(refused), ticket);
}

void KinesisSink::Refuse(PendingBatch refused, uint64_t ticket) {
  DeadLetter(refused);
  Tallies tallies;
  TallyOf(tallies, ticket).dead_lettered = refused.size();
  tracker_.Settle(tallies);
}

absl::Status KinesisSink::Flush(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  ++flushers_;
  cv_.SignalAll();
  while (pending_records_ > 0 && !stopping_) {
    if (cv_.WaitWithDeadline(&mu_, deadline)) break;  // deadline passed
  }
  --flushers_;
  if (pending_records_ > 0) {
    return absl::DeadlineExceededError(absl::StrCat(
        pending_records_, " record(s) not yet delivered to Kinesis stream ",
        config_.stream_name));
  }
  return absl::OkStatus();
}

void KinesisSink::Close() {
  if (closed_) return;
  closed_ = true;
  if (!started_) return;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  if (sender_thread_.joinable()) sender_thread_.join();
  control_http_->Shutdown();  // a ListShards under way ends now
  refresher_->Stop();
  // In-flight requests come back aborted and land in the assembler; once
  // Shutdown returns no other thread touches the sink.
  http_->Shutdown();
  PendingBatch left;
  {
    absl::MutexLock lock(&mu_);
    left = assembler_.TakeAll();
    UnpackAggregates(left);  // retried aggregates wait whole
    for (PendingRecord& r : key_order_.TakeAll()) left.push_back(std::move(r));
    for (const auto& r : left) pending_bytes_ -= r.size();
    pending_records_ -= left.size();
  }
  SettleLeftovers(std::move(left));
}

void KinesisSink::SettleLeftovers(PendingBatch left) {
  if (!left.empty() && durable_queue_) {
    // Reported undelivered below: the spool replays them on the next start
    // rather than dead-lettering records that may still go through.
    logger_->warn(
        "{} record(s) not yet delivered to stream {} stay in the "
        "spool for the next start",
        left.size(), config_.stream_name);
  } else if (!left.empty()) {
    // A memory queue loses them with the process: dead-letter every one,
    // and say so once with the same count the flush gave.
    logger_->error(
        "{} record(s) not delivered to stream {} by shutdown: "
        "dead-lettered",
        left.size(), config_.stream_name);
    Tallies tallies;
    for (PendingRecord& r : left) {
      ++TallyOf(tallies, r.ticket).dead_lettered;
      r.last_error =
          r.last_error.empty()
              ? std::string("sink closed before delivery")
              : absl::StrCat("sink closed before delivery; last error: ",
                             r.last_error);
    }
    DeadLetter(left);
    tracker_.Settle(tallies);
  }
  // Whatever is still open (the spool's records) ends undelivered.
  tracker_.CloseAll();
}

void KinesisSink::SenderLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (in_flight_ < config_.max_in_flight) {
      const absl::Time now = absl::Now();
      std::optional<PendingBatch> batch =
          assembler_.TakeReady(now, flushers_ > 0);
      if (batch) {
        ++in_flight_;
        mu_.Unlock();
        sender_->Send(*std::move(batch),
                      [this](RequestSender::Result r) { Apply(std::move(r)); });
        mu_.Lock();
        continue;
      }
      absl::Time wake = assembler_.NextWakeup(now);
      if (wake == absl::InfiniteFuture()) {
        cv_.Wait(&mu_);
      } else {
        cv_.WaitWithDeadline(&mu_, wake);
      }
    } else {
      cv_.Wait(&mu_);
    }
  }
}

void KinesisSink::Apply(RequestSender::Result result) {
  const absl::Time now = absl::Now();
  RetryOutcome& outcome = result.outcome;
  metrics_.Count(outcome);
  outcome_log_.Log(outcome, now);
  // Dead letters are written, and the batches settled, before the records
  // stop counting as pending: a Flush that returns OK has them on disk and
  // every report delivered.
  DeadLetter(outcome.dead);
  tracker_.Settle(result.tallies);
  size_t done_bytes = outcome.delivered_bytes;
  for (const auto& r : outcome.dead) done_bytes += r.size();
  absl::MutexLock lock(&mu_);
  // Per-shard answers for the rate limiters: (shard, map generation) ->
  // (stored, throttled).
  std::map<std::pair<int, uint64_t>, std::pair<size_t, size_t>> shards;
  for (const PendingRecord& r : outcome.stored) {
    ++shards[{r.shard, r.generation}].first;  // an aggregate counts once
    if (r.members.empty()) {
      ReleaseKey(r.record.partition_key, now);
    } else {
      for (const PendingRecord& m : r.members)
        ReleaseKey(m.record.partition_key, now);
    }
  }
  for (const PendingRecord& r : outcome.dead)
    ReleaseKey(r.record.partition_key, now);
  const bool request_throttled = IsThrottlingError(outcome.request_error);
  for (auto& r : outcome.retry) {
    if (request_throttled || IsThrottlingError(r.last_error)) {
      ++shards[{r.shard, r.generation}].second;
    }
    // Its key stays blocked until it settles.
    assembler_.Retry(std::move(r), now);
  }
  for (const auto& [shard, counts] : shards) {
    assembler_.Report(shard.first, shard.second, counts.first, counts.second,
                      now);
  }
  // A reshard: Kinesis stored records on a shard the map does not have, or
  // a record's hash fell outside every range. Reload the map soon.
  bool reshard = assembler_.saw_unmapped();
  const ShardMap& map = assembler_.map();
  for (const std::string& id : outcome.shard_ids) {
    reshard |= !map.empty() && !map.Has(id);
  }
  if (reshard) refresher_->RefreshSoon();
  pending_records_ -= outcome.delivered + outcome.dead.size();
  pending_bytes_ -= done_bytes;
  --in_flight_;
  cv_.SignalAll();
}

void KinesisSink::ReleaseKey(const std::string& key, absl::Time now) {
  for (PendingRecord& next : key_order_.SettledGroup(key)) {
    assembler_.Add(std::move(next), now);
  }
}

void KinesisSink::DeadLetter(const PendingBatch& records) {
  if (records.empty()) return;
  if (dead_letters_ == nullptr) {  // Start never ran or failed
    logger_->error("{} record(s) undeliverable: {}", records.size(),
                   EscapeForLog(records.front().last_error));
    return;
  }
  dead_letters_->Write(records, absl::Now());
}

}  // namespace streamgate::kinesis
