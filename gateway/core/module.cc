#include "gateway/core/module.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gateway/api/config_reader.h"
#include "gateway/common/dead_letter_file.h"
#include "gateway/common/give_up_line.h"
#include "gateway/common/logging.h"
#include "gateway/core/memory_queue.h"
#include "gateway/spool/spool_queue.h"
#include "spdlog/spdlog.h"

namespace streamgate {
namespace {

// Large enough to amortize a sink call, small enough to bound the memory a
// batch in flight holds outside the queue's accounting.
constexpr size_t kMaxBatch = 2048;

// Of the shutdown budget left when the queue is drained, the share kept for
// the sink's Close (which dead-letters what a memory-queued module could not
// deliver), so Close finishes before the deadline rather than racing it.
constexpr absl::Duration kMaxCloseReserve = absl::Seconds(1);

}  // namespace

namespace {
// The module's copy without its `sink` YAML, which would keep the whole
// config document (a large inline `devices:` list too) alive.
ModuleConfig WithoutYaml(const ModuleConfig& config) {
  ModuleConfig copy = config;
  copy.sink.reset();  // rebinds the handle (= would write into the document)
  return copy;
}
}  // namespace

Module::Module(const ModuleConfig& config)
    : config_(WithoutYaml(config)), log_(config.id) {}

absl::StatusOr<std::unique_ptr<Module>> Module::Create(
    const ModuleConfig& config, const SinkRegistry& sinks,
    DeadLetterFile* shared_dead_letters) {
  const SinkFactory* factory = sinks.Find(config.sink_type);
  if (factory == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "module '", config.id, "': sink.type: unknown type '", config.sink_type,
        "' (known: ", absl::StrJoin(sinks.Types(), ", "), ")"));
  }
  std::unique_ptr<Module> m(new Module(config));
  SinkContext context;
  context.module_id = config.id;
  context.durable_queue = config.spool.has_value();
  context.dead_letters = shared_dead_letters;
  m->dead_letters_ = shared_dead_letters;
  context.logger = m->log_.logger();
  auto sink = factory->Create(ConfigReader(config.sink, "sink"), context);
  if (!sink.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("module '", config.id, "': ", sink.status().message()));
  }
  m->sink_ = std::move(*sink);
  if (config.spool) {
    m->queue_ = std::make_unique<SpoolQueue>(config.id, *config.spool, nullptr,
                                             m->log_.logger());
  } else {
    m->queue_ = std::make_unique<MemoryQueue>(
        static_cast<size_t>(config.queue.max_records),
        static_cast<size_t>(config.queue.max_bytes));
  }
  return m;
}

Module::~Module() {
  // A worker still running after a missed deadline: the process is about
  // to exit (see Stop); never destroy what it uses under it.
  if (worker_.joinable()) worker_.detach();
}

absl::Status Module::Start() {
  if (auto st = queue_->Start(); !st.ok()) return start_error_ = st;
  if (auto st = sink_->Start(); !st.ok()) return start_error_ = st;
  worker_ = std::thread([this] { Run(); });
  started_ = true;
  return absl::OkStatus();
}

void Module::Settle(const DeliveryReport& report) {
  ModuleCounters::Add(counters_.delivered, report.delivered);
  ModuleCounters::Add(counters_.dead_lettered, report.dead_lettered);
  ModuleCounters::Add(counters_.undelivered, report.undelivered);
  ModuleCounters::Add(counters_.retries, report.retries);
}

void Module::Run() {
  QueueBatch batch;
  while (queue_->Pop(batch, kMaxBatch, absl::Seconds(1))) {
    if (batch.records.empty()) {
      if (batch.done) std::move(batch.done)(DeliveryReport{});
      batch = QueueBatch();
      continue;
    }
    size_t bytes = 0;
    for (const OutRecord& r : batch.records) bytes += r.size();
    ModuleCounters::Add(counters_.written_records, batch.records.size());
    ModuleCounters::Add(counters_.written_bytes, bytes);
    sink_->Deliver(std::move(batch.records),
                   [this, done = std::move(batch.done)](
                       const DeliveryReport& report) mutable {
                     Settle(report);
                     if (done) std::move(done)(report);
                   });
    batch = QueueBatch();
  }
  // Keep part of what is left for Close, which settles the rest.
  const absl::Time now = absl::Now();
  const absl::Duration reserve =
      flush_deadline_ == absl::InfiniteFuture()
          ? absl::ZeroDuration()
          : std::min(kMaxCloseReserve, (flush_deadline_ - now) / 5);
  absl::Status st = sink_->Flush(flush_deadline_ - reserve);
  if (!st.ok()) logger().error("flush at shutdown: {}", st.message());
  sink_->Close();
  finished_.Notify();
}

bool Module::Stop(absl::Time deadline) {
  if (!worker_.joinable()) {
    if (started_) return true;  // stopped before
    // Never started (a reload's start failed): its sink cannot deliver
    // what the queue took, which was acknowledged.
    queue_->Close();
    const size_t queued = queue_->depth();
    if (queued == 0) return true;
    if (queue_->durable()) {
      logger().error("never started: {} queued record(s) stay in the spool",
                     queued);
      return false;
    }
    const size_t written = DeadLetterUnstarted();
    if (written == queued) {
      logger().error(
          "never started: {} queued record(s) written to the "
          "delivery dead-letter file",
          written);
      return true;
    }
    logger().error(
        "never started: {} of {} queued record(s) are lost (no "
        "delivery dead-letter file, or it could not take them)",
        queued - written, queued);
    return false;
  }
  flush_deadline_ = deadline;  // read by Run only after Pop sees the close
  queue_->Close();
  if (!finished_.WaitForNotificationWithDeadline(deadline)) {
    const uint64_t pending =
        ModuleCounters::Get(counters_.written_records) -
        std::min(ModuleCounters::Get(counters_.written_records),
                 ModuleCounters::Get(counters_.delivered) +
                     ModuleCounters::Get(counters_.dead_lettered) +
                     ModuleCounters::Get(counters_.undelivered));
    if (queue_->durable()) {
      logger().warn(
          "not flushed by the shutdown deadline; undelivered "
          "records stay in the spool for the next start");
    } else {
      logger().error(
          "not drained by the shutdown deadline: {} record(s) "
          "still queued and {} in the sink are lost",
          queue_->depth(), pending);
    }
    return false;
  }
  worker_.join();
  return true;
}

size_t Module::DeadLetterUnstarted() {
  const absl::Time now = absl::Now();
  const std::string reason = absl::StrCat(
      "the module did not start after a reload: ", start_error_.message());
  size_t written = 0;
  QueueBatch batch;
  // A closed memory queue hands out what it holds, then nothing.
  while (true) {
    queue_->Pop(batch, kMaxBatch, absl::ZeroDuration());
    if (batch.records.empty()) break;
    for (const OutRecord& r : batch.records) {
      GiveUp g;
      g.source = "gateway";
      g.module = config_.id;
      g.reason = reason;
      g.partition_key = r.partition_key;
      g.data = *r.data;
      if (dead_letters_ != nullptr &&
          dead_letters_->Append(GiveUpLine(g, now))) {
        ++written;
      }
    }
    DeliveryReport report;
    report.dead_lettered = batch.records.size();
    Settle(report);
    if (batch.done) std::move(batch.done)(report);
    batch = QueueBatch();
  }
  return written;
}

ModuleStatus Module::Status(bool stopping) const {
  ModuleStatus s;
  s.id = config_.id;
  s.description = config_.description;
  s.sink_type = config_.sink_type;
  if (config_.all_events) s.subscribe_events.push_back("*");
  for (const std::string& e : config_.subscribe_events) {
    s.subscribe_events.push_back(e);
  }
  s.bulk_data_label = config_.bulk_data_label;
  s.use_uuid = config_.use_uuid;
  const ModuleCounters& c = counters_;
  s.records_accepted = ModuleCounters::Get(c.accepted_records);
  s.bytes_accepted = ModuleCounters::Get(c.accepted_bytes);
  s.records_rejected_full = ModuleCounters::Get(c.rejected_full);
  s.queue_depth = queue_->depth();
  s.records_written = ModuleCounters::Get(c.written_records);
  s.records_delivered = ModuleCounters::Get(c.delivered);
  s.records_dead_lettered = ModuleCounters::Get(c.dead_lettered);
  s.records_retried = ModuleCounters::Get(c.retries);
  s.errors_logged = log_.errors_total();
  s.last_error = log_.LastError();
  s.state = "running";
  if (s.last_error && absl::Now() - s.last_error->time < kFailingWindow) {
    s.state = "failing";
  }
  if (stopping) s.state = "stopped";
  return s;
}

}  // namespace streamgate
