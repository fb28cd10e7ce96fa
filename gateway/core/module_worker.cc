#include "gateway/core/module_worker.h"

#include "gateway/common/logging.h"

namespace streamgate {

// Large enough to amortize a sink call, small enough to bound the memory a
// batch in flight holds outside the queue's accounting.
constexpr size_t kMaxBatch = 2048;

ModuleWorker::ModuleWorker(std::string module_id, ModuleQueue& queue,
                           Sink& sink)
    : module_id_(std::move(module_id)), queue_(queue), sink_(sink) {}

ModuleWorker::~ModuleWorker() {
  if (thread_.joinable()) thread_.detach();
}

void ModuleWorker::Start() { thread_ = std::thread([this] { Run(); }); }

void ModuleWorker::Run() {
  QueueBatch batch;
  while (queue_.PopBatch(batch, kMaxBatch, absl::Seconds(1))) {
    // The done callback frees the batch's storage in a durable queue once
    // the sink has settled every record (a memory queue freed it at Pop).
    if (!batch.records.empty()) {
      sink_.Deliver(std::move(batch.records), std::move(batch.done));
    } else if (batch.done) {
      std::move(batch.done)();
    }
    batch = QueueBatch();
  }
  absl::Status st = sink_.Flush(flush_deadline_);
  if (!st.ok()) {
    spdlog::error("module '{}': flush at shutdown: {}", module_id_,
                  st.message());
  }
  sink_.Close();
  finished_.Notify();
}

bool ModuleWorker::Stop(absl::Time deadline) {
  flush_deadline_ = deadline;  // read by Run only after Pop sees the close
  queue_.Close();
  if (!finished_.WaitForNotificationWithDeadline(deadline)) {
    if (queue_.durable()) {
      spdlog::warn("module '{}': not flushed by the shutdown deadline; "
                   "undelivered records stay in the spool for the next start",
                   module_id_);
    } else {
      spdlog::error("module '{}': not drained by the shutdown deadline; {} "
                    "records still queued are lost",
                    module_id_, queue_.depth());
    }
    return false;
  }
  thread_.join();
  return true;
}

}  // namespace streamgate
