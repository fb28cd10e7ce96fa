#include "gateway/module_worker.h"

#include "gateway/logging.h"

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
  OutBatch batch;
  while (queue_.Pop(batch, kMaxBatch, absl::Seconds(1))) {
    // Memory queues free their room at Pop; a durable queue will pass a
    // done callback that releases the batch's storage.
    if (!batch.empty()) sink_.Deliver(std::move(batch), [] {});
    batch = OutBatch();
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
    spdlog::error("module '{}': not drained by the shutdown deadline; {} "
                  "records still queued are lost",
                  module_id_, queue_.depth());
    return false;
  }
  thread_.join();
  return true;
}

}  // namespace streamgate
