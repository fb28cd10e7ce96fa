// Pipeline: the gateway without its transports — device registry, the
// gateway-wide dead-letter files (door rejects; delivery give-ups), the modules
// (queue, sink, worker each), router, ingester and door rejects — built from a
// config and a sink registry. The server adds adapters and the /metrics
// endpoint around it; tests drive it directly through ingest().
//
// Lifecycle: Create (validates everything, no I/O) → Start → StopAccepting
// (ingest answers UNAVAILABLE) → Stop(deadline) (modules drain and close).
// Between Start and Stop, ReplaceModules (SIGHUP) swaps the module table.
//
// Threading: lifecycle methods from the main thread, ReplaceModules and
// the Reload* setters from the reload thread (Stop waits for a
// ReplaceModules in progress); ingest(), rejects(), modules(),
// CollectMetrics and the GatewayStatus methods from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gateway/api/gateway_status.h"
#include "gateway/api/metrics_writer.h"
#include "gateway/api/sink_registry.h"
#include "gateway/common/dead_letter_file.h"
#include "gateway/core/config.h"
#include "gateway/core/device_registry.h"
#include "gateway/core/door_rejects.h"
#include "gateway/core/ingester.h"
#include "gateway/core/module.h"
#include "gateway/core/router.h"
#include "gateway/core/router_table.h"

namespace streamgate {

class Pipeline : public GatewayStatus {
 public:
  static absl::StatusOr<std::unique_ptr<Pipeline>> Create(
      const GatewayConfig& config, const SinkRegistry& sinks);
  ~Pipeline() override;

  // Opens the dead-letter file, then each module (a spool replays first).
  absl::Status Start();
  // Ingest answers UNAVAILABLE from now on.
  void StopAccepting();
  // Drains every module by `deadline`; true when all finished in time.
  bool Stop(absl::Time deadline);

  // SIGHUP: a new device registry, swapped in atomically (any thread;
  // ingest never waits for it).
  void ReloadDevices(std::shared_ptr<const DeviceTable> devices);
  // SIGHUP: default_home_id for inputs from now on.
  void ReloadDefaultHomeId(absl::optional<int64_t> home_id) {
    ingester_->SetDefaultHomeId(home_id);
  }
  // SIGHUP: makes `modules` (a new config's, in its order) the running
  // modules. Those whose id is in `keep` go on as they are; every other
  // module of `modules` is built and every other running module retired:
  //  1. new modules are built (an error changes nothing); those that take
  //     over no retiring module's id or spool folder start now (an error
  //     stops them again and changes nothing);
  //  2. ingest switches to the new table at once (RouteTable); once no
  //     input holds the old table, the retiring modules that are taken
  //     over stop: their queue (a spool too, by the deadline) drains into
  //     their sink, which flushes and closes, and they are destroyed (a
  //     spool unlocks its folder);
  //  3. the new modules that waited for them start (a spool reopens the
  //     same folder and delivers what is left in it), then the removed
  //     modules stop as in 2. Until its start a waiting memory queue holds
  //     what it is given and a spool refuses (RESOURCE_EXHAUSTED).
  // An error means nothing changed. A step-3 failure does not undo the
  // switch: "module 'ID' did not start: ..." goes to `not_started`.
  absl::Status ReplaceModules(const std::vector<ModuleConfig>& modules,
                              const std::set<std::string>& keep,
                              const SinkRegistry& sinks, absl::Time deadline,
                              std::vector<std::string>* not_started);
  // A SIGHUP reload whose file or config was refused (the registry kept).
  void CountRefusedDeviceReload() {
    device_reloads_refused_.fetch_add(1, std::memory_order_relaxed);
  }

  Ingest& ingest() { return *ingester_; }
  Ingester& ingester() { return *ingester_; }
  DoorRejects& rejects() { return *door_rejects_; }
  // The running modules, in config order (a snapshot).
  std::vector<std::shared_ptr<Module>> modules() const;
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  // Every module's metrics and the ingest outcomes.
  void CollectMetrics(metrics::MetricsWriter& out) const;
  // Door rejects and the gateway-wide dead-letter file.
  void CollectDoorMetrics(metrics::MetricsWriter& out) const;

  // GatewayStatus
  std::vector<ModuleStatus> Modules() const override;
  absl::StatusOr<std::vector<LogEntry>> ModuleLog(
      absl::string_view module_id, spdlog::level::level_enum min_level,
      size_t limit) const override;

 private:
  Pipeline() = default;
  static std::shared_ptr<Router> BuildRouter(
      const std::vector<ModuleConfig>& configs,
      const std::vector<std::shared_ptr<Module>>& modules);

  std::unique_ptr<DeviceRegistry> registry_;
  // Door rejects (`dead_letter.path`).
  std::unique_ptr<DeadLetterFile> dead_letters_;
  // Before the modules: sinks without a dead-letter file of their own give
  // up into it (`dead_letter.delivery_path`), apart from the rejects.
  std::unique_ptr<DeadLetterFile> delivery_dead_letters_;
  // Held across ReplaceModules and Stop, so a shutdown never races a reload.
  absl::Mutex reload_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  std::vector<std::shared_ptr<Module>> modules_ ABSL_GUARDED_BY(mu_);
  // Retired modules whose worker missed the deadline: kept alive under it.
  std::vector<std::shared_ptr<Module>> stuck_ ABSL_GUARDED_BY(reload_mu_);
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<Ingester> ingester_;
  std::unique_ptr<DoorDeadLetters> door_rejects_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> device_reloads_{0};
  std::atomic<uint64_t> device_reloads_refused_{0};
};

}  // namespace streamgate
