#include "sinks/kinesis/kinesis_sink.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/api/metrics_writer.h"
#include "sinks/kinesis/codec.h"
#include "spdlog/spdlog.h"

namespace streamgate::kinesis {
namespace {

constexpr size_t kMaxPartitionKeyChars = 256;

bool IsDataFormatError(absl::string_view code) {
  return code == "ValidationException" || code == "SerializationException" ||
         code == "InvalidArgumentException";
}

}  // namespace

KinesisSink::KinesisSink(KinesisConfig config, SinkContext context,
                         CredentialsFactory credentials)
    : config_(std::move(config)),
      module_id_(std::move(context.module_id)),
      durable_queue_(context.durable_queue),
      shared_dead_letters_(context.dead_letters),
      credentials_factory_(std::move(credentials)),
      // Enough to keep every request slot busy with a full batch waiting
      // behind it, and no more.
      max_pending_records_(config_.max_records * (config_.max_in_flight + 2) * 2),
      max_pending_bytes_(config_.max_request_bytes * (config_.max_in_flight + 2)),
      retrier_(RetryPolicy{config_.initial_backoff, config_.max_backoff,
                           config_.record_ttl}),
      batcher_(Batcher::Limits{config_.max_records, config_.max_request_bytes,
                               config_.linger}) {}

KinesisSink::~KinesisSink() { Close(); }

absl::Status KinesisSink::Start() {
  if (started_) return absl::FailedPreconditionError("sink already started");
  absl::StatusOr<Endpoint> endpoint = ParseEndpoint(config_.endpoint);
  if (!endpoint.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "module ", module_id_, ": sink.endpoint: ", endpoint.status().message()));
  }
  if (!credentials_factory_) {
    return absl::FailedPreconditionError(
        absl::StrCat("module ", module_id_, ": no AWS credentials provider"));
  }
  absl::StatusOr<std::unique_ptr<aws::CredentialsProvider>> creds =
      credentials_factory_();
  if (!creds.ok()) {
    return absl::Status(creds.status().code(),
                        absl::StrCat("module ", module_id_, ": AWS credentials: ",
                                     creds.status().message()));
  }
  credentials_ = *std::move(creds);
  DeadLetterOptions own;
  own.path = config_.dead_letter_path;
  dead_letters_ =
      std::make_unique<DeadLetterWriter>(module_id_, own, shared_dead_letters_);
  if (absl::Status s = dead_letters_->Open(); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("module ", module_id_, ": ", s.message()));
  }
  HttpClientOptions http;
  http.max_in_flight = config_.max_in_flight;
  http.request_timeout = config_.request_timeout;
  http.connect_timeout = config_.connect_timeout;
  http.verify_tls = config_.verify_tls;
  http.ca_file = config_.ca_file;
  absl::StatusOr<std::unique_ptr<HttpClient>> client = HttpClient::Create(http);
  if (!client.ok()) return client.status();
  http_ = *std::move(client);
  signer_ = std::make_unique<RequestSigner>(*endpoint, config_.region, *credentials_);
  started_ = true;
  sender_ = std::thread([this] { SenderLoop(); });
  return absl::OkStatus();
}

void KinesisSink::Write(OutBatch batch) { Accept(std::move(batch), 0, nullptr); }

void KinesisSink::Deliver(OutBatch batch, BatchDone done) {
  if (batch.empty()) {
    std::move(done)();
    return;
  }
  Accept(std::move(batch), 1, std::move(done));
}

void KinesisSink::CountTickets(const PendingBatch& records,
                               TicketCounts& counts) {
  for (const PendingRecord& r : records) {
    if (r.ticket == 0) continue;
    if (!counts.empty() && counts.back().first == r.ticket) {
      ++counts.back().second;
      continue;
    }
    auto it = std::find_if(counts.begin(), counts.end(),
                           [&](const auto& c) { return c.first == r.ticket; });
    if (it != counts.end()) {
      ++it->second;
    } else {
      counts.emplace_back(r.ticket, 1);
    }
  }
}

void KinesisSink::Settle(const TicketCounts& counts) {
  if (counts.empty()) return;
  std::vector<BatchDone> finished;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [ticket, n] : counts) {
      auto it = tickets_.find(ticket);
      if (it == tickets_.end()) continue;  // not possible; never crash on it
      it->second.remaining -= std::min(n, it->second.remaining);
      if (it->second.remaining == 0) {
        finished.push_back(std::move(it->second.done));
        tickets_.erase(it);
      }
    }
  }
  // Outside mu_: a spool's callback takes its own lock.
  for (BatchDone& done : finished) {
    if (done) std::move(done)();
  }
}

// `want_ticket` is 0 for Write (no completion) and non-zero for Deliver,
// which gets a fresh ticket for `done`.
void KinesisSink::Accept(OutBatch batch, uint64_t want_ticket, BatchDone done) {
  const absl::Time now = absl::Now();
  PendingBatch rejected;
  size_t accepted = 0;
  uint64_t ticket = 0;
  if (!started_ || closed_) {
    // Outside the contract, but still never silent.
    for (OutRecord& r : batch) {
      PendingRecord p;
      p.record = std::move(r);
      p.last_error = "sink is not running (Write outside Start..Close)";
      rejected.push_back(std::move(p));
    }
    counters_.records_accepted += rejected.size();
    DeadLetter(rejected);
    if (done) std::move(done)();
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    // Backpressure: wait for room, but never deadlock on an idle sink.
    while (!stopping_ && pending_records_ > 0 &&
           (pending_records_ >= max_pending_records_ ||
            pending_bytes_ >= max_pending_bytes_)) {
      cv_.Wait(&mu_);
    }
    if (want_ticket != 0) {
      ticket = next_ticket_++;
      tickets_.emplace(ticket, Ticket{batch.size(), std::move(done)});
    }
    const bool had_ready = batcher_.ready_count() > 0;
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
        rejected.push_back(std::move(p));
      } else if (key_len == 0 || key_len > kMaxPartitionKeyChars) {
        p.last_error = absl::StrCat("partition key is ", key_len,
                                    " bytes; Kinesis needs 1-256");
        rejected.push_back(std::move(p));
      } else {
        pending_bytes_ += size;
        ++pending_records_;
        ++accepted;
        batcher_.Add(std::move(p), now);
      }
    }
    // Wake the sender only when it has something new to do: a first ready
    // record (it needs the linger deadline) or a full batch. Otherwise it is
    // already waiting for that deadline or for a free request slot, and a
    // wake-up per module batch would cost two context switches for nothing.
    if (!had_ready || batcher_.HasFullBatch() || flushers_ > 0) cv_.SignalAll();
  }
  counters_.records_accepted += accepted + rejected.size();
  if (!rejected.empty()) {
    DeadLetter(rejected);
    if (ticket != 0) Settle({{ticket, rejected.size()}});
  }
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
    return absl::DeadlineExceededError(
        absl::StrCat("module ", module_id_, ": ", pending_records_,
                     " record(s) not yet delivered to Kinesis stream ",
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
  if (sender_.joinable()) sender_.join();
  // In-flight requests come back as aborted and land in the batcher.
  http_->Shutdown();
  PendingBatch left;
  {
    absl::MutexLock lock(&mu_);
    left = batcher_.TakeAll();
    for (const auto& r : left) pending_bytes_ -= r.size();
    pending_records_ -= left.size();
  }
  if (durable_queue_) {
    // Their batches stay unsettled: the spool replays them on the next
    // start rather than dead-lettering records that may still go through.
    size_t kept = 0;
    PendingBatch untracked;
    for (auto& r : left) {
      if (r.ticket != 0) {
        ++kept;
      } else {
        untracked.push_back(std::move(r));
      }
    }
    left = std::move(untracked);
    if (kept > 0) {
      spdlog::warn("module {}: {} record(s) not yet delivered to stream {} stay "
                   "in the spool for the next start",
                   module_id_, kept, config_.stream_name);
    }
    absl::MutexLock lock(&mu_);
    tickets_.clear();  // their `done` must not run: the records are not settled
  }
  for (auto& r : left) {
    r.last_error = r.last_error.empty()
                       ? std::string("sink closed before delivery")
                       : absl::StrCat("sink closed before delivery; last error: ",
                                      r.last_error);
  }
  TicketCounts settled;
  CountTickets(left, settled);
  DeadLetter(left);
  Settle(settled);
}

void KinesisSink::SenderLoop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (in_flight_ < config_.max_in_flight) {
      std::optional<PendingBatch> batch = batcher_.TakeReady(absl::Now(), flushers_ > 0);
      if (batch) {
        ++in_flight_;
        mu_.Unlock();
        Dispatch(*std::move(batch));
        mu_.Lock();
        continue;
      }
      absl::Time wake = batcher_.NextWakeup();
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

void KinesisSink::Dispatch(PendingBatch batch) {
  std::string body = EncodePutRecords(config_.stream_name, batch);
  absl::StatusOr<aws::HttpRequest> request =
      signer_->Sign("PutRecords", std::move(body), absl::Now());
  if (!request.ok()) {
    TicketCounts sent;
    CountTickets(batch, sent);
    RetryOutcome outcome;
    {
      absl::MutexLock lock(&retrier_mu_);
      outcome = retrier_.OnLocalFailure(std::move(batch), "CredentialsError",
                                        request.status().message(), absl::Now());
    }
    Apply(std::move(outcome), std::move(sent));
    return;
  }
  ++counters_.requests_sent;
  const absl::Time sent = absl::Now();
  http_->Send(signer_->base_url(), *std::move(request),
              [this, sent, batch = std::move(batch)](HttpResponse response) mutable {
                request_seconds_.Observe(absl::ToDoubleSeconds(absl::Now() - sent));
                OnDone(std::move(batch), std::move(response));
              });
}

void KinesisSink::OnDone(PendingBatch batch, HttpResponse response) {
  TicketCounts sent;
  CountTickets(batch, sent);
  RetryOutcome outcome;
  {
    absl::MutexLock lock(&retrier_mu_);
    outcome = retrier_.OnResponse(std::move(batch), response, absl::Now());
  }
  Apply(std::move(outcome), std::move(sent));
}

void KinesisSink::Apply(RetryOutcome outcome, TicketCounts sent) {
  const absl::Time now = absl::Now();
  switch (outcome.request) {
    case RequestOutcome::kOk: ++counters_.requests_ok; break;
    case RequestOutcome::kPartial: ++counters_.requests_partial; break;
    case RequestOutcome::kRetryableFailure: ++counters_.requests_retryable_failure; break;
    case RequestOutcome::kFatalFailure: ++counters_.requests_fatal_failure; break;
    case RequestOutcome::kTransportError: ++counters_.requests_transport_error; break;
  }
  counters_.records_delivered += outcome.delivered;
  counters_.records_retried += outcome.retry.size();
  counters_.possible_duplicates += outcome.newly_possible_duplicates;
  for (const auto& [code, n] : outcome.record_errors) counters_.CountError(code, n);
  if (!outcome.request_error.empty()) counters_.CountError(outcome.request_error, 1);
  LogOutcome(outcome, now);

  // Dead letters are written before the records stop counting as pending,
  // so a Flush that returns OK has them on disk.
  DeadLetter(outcome.dead);
  size_t done_bytes = outcome.delivered_bytes;
  for (const auto& r : outcome.dead) done_bytes += r.size();
  // Settled = sent minus what goes back for a retry.
  for (const PendingRecord& r : outcome.retry) {
    for (auto& [ticket, n] : sent) {
      if (ticket == r.ticket && n > 0) {
        --n;
        break;
      }
    }
  }

  {
    absl::MutexLock lock(&mu_);
    for (auto& r : outcome.retry) batcher_.Add(std::move(r), now);
    pending_records_ -= outcome.delivered + outcome.dead.size();
    pending_bytes_ -= done_bytes;
    --in_flight_;
    cv_.SignalAll();
  }
  Settle(sent);
}

void KinesisSink::LogOutcome(const RetryOutcome& outcome, absl::Time now) {
  uint64_t suppressed = 0;
  for (const auto& [code, n] : outcome.record_errors) {
    if (!log_limiter_.Allow(code, now, suppressed)) continue;
    if (code == "ProvisionedThroughputExceededException" || IsDataFormatError(code)) {
      spdlog::error("module {}: stream {}: {} record(s) failed with {} ({} similar "
                    "line(s) suppressed)",
                    module_id_, config_.stream_name, n, code, suppressed);
    } else {
      spdlog::warn("module {}: stream {}: {} record(s) failed with {}, retrying ({} "
                   "similar line(s) suppressed)",
                   module_id_, config_.stream_name, n, code, suppressed);
    }
  }
  const std::string reason =
      outcome.request_message.empty()
          ? outcome.request_error
          : absl::StrCat(outcome.request_error, ": ", outcome.request_message);
  if (!outcome.request_error.empty() &&
      log_limiter_.Allow(absl::StrCat("request:", outcome.request_error), now,
                         suppressed)) {
    const size_t records = outcome.retry.size() + outcome.dead.size();
    if (outcome.request == RequestOutcome::kFatalFailure) {
      spdlog::error("module {}: stream {}: PutRecords failed with {}; {} "
                    "record(s) dead-lettered ({} similar line(s) suppressed)",
                    module_id_, config_.stream_name, reason, records, suppressed);
    } else {
      spdlog::error("module {}: stream {}: PutRecords failed with {}; {} "
                    "record(s) will be retried ({} similar line(s) suppressed)",
                    module_id_, config_.stream_name, reason, records, suppressed);
    }
  }
}

void KinesisSink::DeadLetter(const PendingBatch& records) {
  if (records.empty()) return;
  counters_.records_dead_lettered += records.size();
  if (dead_letters_ == nullptr) {  // Start never ran or failed
    spdlog::error("module {}: {} record(s) undeliverable: {}", module_id_,
                  records.size(), records.front().last_error);
    return;
  }
  dead_letters_->Write(records, absl::Now());
}

void KinesisSink::CollectMetrics(metrics::MetricsWriter& out) const {
  auto load = [](const std::atomic<uint64_t>& v) {
    return static_cast<double>(v.load(std::memory_order_relaxed));
  };
  const KinesisSinkCounters& c = counters_;
  out.Counter("streamgate_module_records_delivered_total",
              "Records the module's sink delivered.", {},
              load(c.records_delivered));
  out.Counter("streamgate_module_records_retried_total",
              "Record retries by the module's sink (one per retry).", {},
              load(c.records_retried));
  out.Counter("streamgate_module_records_dead_lettered_total",
              "Records the module's sink gave up on and dead-lettered.", {},
              load(c.records_dead_lettered));
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
