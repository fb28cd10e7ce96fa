// Module: one configured forwarding rule (spec 2) and everything it owns —
// its config, its queue (memory or spool), its sink, the worker thread that
// moves batches from one to the other, its counters and its own logger with
// the recent-entry ring. The worker hands each batch to Sink::Deliver and
// counts the DeliveryReport, then runs the queue's completion, so a spool
// frees storage only once the sink has settled the batch.
//
// Lifecycle: Create (validates, builds queue and sink; no I/O, so
// --check-config uses it) → Start (queue replay, sink, worker) → Stop
// (close the queue, drain it, flush and close the sink by a deadline).
//
// Threading: Create/Start/Stop from the main thread; the worker thread is
// the only caller of the sink; counters, status and metrics from any thread.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gateway/api/gateway_status.h"
#include "gateway/api/metrics_writer.h"
#include "gateway/api/sink.h"
#include "gateway/api/sink_registry.h"
#include "gateway/core/config.h"
#include "gateway/core/module_counters.h"
#include "gateway/core/module_log.h"
#include "gateway/core/module_queue.h"

namespace streamgate {

class DeadLetterFile;

class Module {
 public:
  // `shared_dead_letters` (may be null) is the gateway's dead-letter file,
  // for sinks without one of their own; it must outlive the module.
  static absl::StatusOr<std::unique_ptr<Module>> Create(
      const ModuleConfig& config, const SinkRegistry& sinks,
      DeadLetterFile* shared_dead_letters);
  ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Opens the queue (a spool replays its backlog), starts the sink and the
  // worker.
  absl::Status Start();
  // Closes the queue (stop ingest first), lets the worker drain it and
  // flush and close the sink by `deadline`. False when it had not finished
  // by then (the worker is left running; the caller should exit), or when
  // it never started and records of its queue could not be kept. A module
  // that never started (a reload's start failed) writes what its memory
  // queue holds, all acknowledged, to the delivery dead-letter file; a
  // spool keeps it on disk.
  bool Stop(absl::Time deadline);

  const ModuleConfig& config() const { return config_; }
  const std::string& id() const { return config_.id; }
  ModuleQueue& queue() { return *queue_; }
  ModuleCounters& counters() { return counters_; }
  spdlog::logger& logger() const { return *log_.logger(); }
  const ModuleLog& log() const { return log_; }

  // Config, counters and state; `stopping` reports the module as stopped.
  ModuleStatus Status(bool stopping) const;
  // Every metric of the module, labelled module="ID".
  void CollectMetrics(metrics::MetricsWriter& out) const;

  // A module counts as failing while its newest ERROR is this recent.
  static constexpr absl::Duration kFailingWindow = absl::Minutes(1);

 private:
  explicit Module(const ModuleConfig& config);
  void Run();
  void Settle(const DeliveryReport& report);
  // Never started: every record of the memory queue to dead_letters_.
  // Returns how many were written.
  size_t DeadLetterUnstarted();

  const ModuleConfig config_;
  ModuleLog log_;
  ModuleCounters counters_;
  std::unique_ptr<ModuleQueue> queue_;
  std::unique_ptr<Sink> sink_;  // after queue_: destroyed first
  absl::Time flush_deadline_ = absl::InfiniteFuture();
  absl::Notification finished_;
  bool started_ = false;      // Start succeeded (main or reload thread only)
  absl::Status start_error_;  // why Start failed (same threads)
  DeadLetterFile* dead_letters_ = nullptr;  // delivery give-ups; may be null
  std::thread worker_;
};

}  // namespace streamgate
