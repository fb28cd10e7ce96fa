// Pipeline: the gateway without its transports — device registry, the
// gateway-wide dead-letter files (door rejects; delivery give-ups), the modules
// (queue, sink, worker each), router, ingester and door rejects — built from a
// config and a sink registry. The server adds adapters and the /metrics
// endpoint around it; tests drive it directly through ingest().
//
// Lifecycle: Create (validates everything, no I/O) → Start → StopAccepting
// (ingest answers UNAVAILABLE) → Stop(deadline) (modules drain and close).
//
// Threading: lifecycle methods from the main thread; ingest(), rejects(),
// CollectMetrics and the GatewayStatus methods from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
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
  // A SIGHUP reload whose file or config was refused (the registry kept).
  void CountRefusedDeviceReload() {
    device_reloads_refused_.fetch_add(1, std::memory_order_relaxed);
  }

  Ingest& ingest() { return *ingester_; }
  Ingester& ingester() { return *ingester_; }
  DoorRejects& rejects() { return *door_rejects_; }
  const std::vector<std::unique_ptr<Module>>& modules() const {
    return modules_;
  }
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

  std::unique_ptr<DeviceRegistry> registry_;
  // Door rejects (`dead_letter.path`).
  std::unique_ptr<DeadLetterFile> dead_letters_;
  // Before modules_: sinks without a dead-letter file of their own give up
  // into it (`dead_letter.delivery_path`), apart from the rejects.
  std::unique_ptr<DeadLetterFile> delivery_dead_letters_;
  std::vector<std::unique_ptr<Module>> modules_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<Ingester> ingester_;
  std::unique_ptr<DoorDeadLetters> door_rejects_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> device_reloads_{0};
  std::atomic<uint64_t> device_reloads_refused_{0};
};

}  // namespace streamgate
