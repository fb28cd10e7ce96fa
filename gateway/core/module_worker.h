// ModuleWorker: the thread that moves one module's records from its queue to
// its sink, in batches (everything queued, up to a cap), so the sink pays its
// per-call cost once per batch rather than per record. Each batch's done
// callback goes to the sink, so a durable queue frees storage only after
// delivery. On Stop it drains the queue (a durable queue stops at once and
// keeps the rest for the next start), flushes the sink by the deadline and
// closes it.
//
// Threading: Start/Stop from the main thread; the loop runs on its own
// thread, the only caller of the sink.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gateway/core/module_queue.h"
#include "gateway/api/sink.h"

namespace streamgate {

class ModuleWorker {
 public:
  ModuleWorker(std::string module_id, ModuleQueue& queue, Sink& sink);
  ~ModuleWorker();

  void Start();
  // Closes the queue (the caller stopped ingest first), lets the worker
  // drain and flush until `deadline`. Returns false if it had not finished
  // by then; the records still queued are reported in the log.
  bool Stop(absl::Time deadline);

 private:
  void Run();

  const std::string module_id_;
  ModuleQueue& queue_;
  Sink& sink_;
  absl::Time flush_deadline_ = absl::InfiniteFuture();
  absl::Notification finished_;
  std::thread thread_;
};

}  // namespace streamgate
