// Server: the composition root. Builds the Pipeline (modules, router,
// ingest) from the config and the sink registry, the adapters from the
// adapter registry, and the /metrics endpoint, and runs their lifecycle.
// Create does no I/O, so --check-config uses it to validate everything a
// start would.
//
// Shutdown order (spec 5): adapters stop accepting (health NOT_SERVING),
// ingest answers UNAVAILABLE, in-flight calls finish, queues drain into the
// sinks and the sinks flush, all by one deadline.
//
// The liveness Watchdog (limits.max_rss_bytes, limits.watchdog_*) runs from
// Start to Shutdown and exits the process with code 3 when it fires.
//
// Threading: all methods from the main thread, except CollectMetrics (the
// scrape thread), ReloadDevices and DeviceReloadRefused (any thread).
#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/api/adapter.h"
#include "gateway/api/adapter_registry.h"
#include "gateway/api/sink_registry.h"
#include "gateway/core/config.h"
#include "gateway/core/pipeline.h"
#include "gateway/server/metrics_server.h"
#include "gateway/server/watchdog.h"

namespace streamgate {

class Server {
 public:
  // Errors name the config's source ("config FILE: ...").
  static absl::StatusOr<std::unique_ptr<Server>> Create(
      GatewayConfig config, const SinkRegistry &sinks,
      const AdapterRegistry &adapters);
  ~Server();

  absl::Status Start();
  // Returns true when every queue drained and flushed before the deadline.
  bool Shutdown();

  // SIGHUP, in two parts. ReloadDevices swaps in a new registry (from the
  // reload thread; ingest never waits for it); ReloadAdapters makes the
  // adapters re-read what they can (TLS files; main thread).
  void ReloadDevices(std::shared_ptr<const DeviceTable> devices);
  // Counts a reload whose load failed (any thread).
  void DeviceReloadRefused() { pipeline_->CountRefusedDeviceReload(); }
  void ReloadAdapters();

  Pipeline &pipeline() { return *pipeline_; }
  // The gRPC adapter's bound port (0 before Start).
  int grpc_port() const;
  // The /metrics endpoint's port; 0 when metrics.listen is not set.
  int metrics_port() const;
  // Writes every metric (what a scrape of /metrics returns).
  void CollectMetrics(metrics::MetricsWriter &out) const;

 private:
  Server() = default;
  void StartWatchdog();

  GatewayConfig config_;
  std::unique_ptr<Pipeline> pipeline_;
  std::vector<std::unique_ptr<Adapter>> adapters_;  // after pipeline_
  bool started_ = false;
  // limits.watchdog_*: started last by Start, stopped first by Shutdown.
  std::unique_ptr<Watchdog> watchdog_;
  // Last member: stopped before anything it reads is destroyed.
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
};

}  // namespace streamgate
