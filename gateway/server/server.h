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
// It also serves the metrics port's status page and probes: the status
// JSON (modules from the pipeline, inputs described from the config with
// their live state), readiness, and the API-key rule of the Admin service.
//
// SIGHUP's config reload (Reload) runs on the reload thread: it refuses a
// change to anything that cannot change live (gateway/server/config_diff.h)
// and swaps the modules through Pipeline::ReplaceModules.
//
// Threading: all methods from the main thread, except CollectMetrics,
// Snapshot and Ready (the metrics server's thread), ReloadDevices,
// DeviceReloadRefused and ReloadRefused (any thread) and Reload (the one
// reload thread).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "adapters/grpc/api_key_auth.h"
#include "gateway/api/adapter.h"
#include "gateway/api/adapter_registry.h"
#include "gateway/api/sink_registry.h"
#include "gateway/core/config.h"
#include "gateway/core/pipeline.h"
#include "gateway/server/config_diff.h"
#include "gateway/server/metrics_server.h"
#include "gateway/server/status_page.h"
#include "gateway/server/watchdog.h"

namespace streamgate {

class Server {
 public:
  // Errors name the config's source ("config FILE: ..."), one line each:
  // every module's sink and every adapter is checked, not only up to the
  // first error.
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

  // SIGHUP: applies `fresh` (parsed from the same file) or refuses it with
  // the current config kept: what cannot change live, a module whose sink
  // does not build, a path that cannot be created (as --check-config).
  // Applies the modules (added, changed, removed), default_home_id and,
  // when `apply_log_level`, log_level; the caller swaps in the devices.
  // Counted in streamgate_config_reloads_total.
  absl::Status Reload(GatewayConfig fresh, const SinkRegistry& sinks,
                      bool apply_log_level);
  // Counts a reload refused before Reload (the file did not parse).
  void ReloadRefused();

  Pipeline &pipeline() { return *pipeline_; }
  // The gRPC adapter's bound port (0 before Start).
  int grpc_port() const;
  // The /metrics endpoint's port; 0 when metrics.listen is not set.
  int metrics_port() const;
  // Writes every metric (what a scrape of /metrics returns).
  void CollectMetrics(metrics::MetricsWriter &out) const;

  // The config as kept after Create: its YAML tree, sink sections and
  // registry copy are dropped (the pipeline holds the registry).
  const GatewayConfig& config() const { return config_; }
  // The start-up summary (StartupSummary), made before those were dropped.
  const std::vector<std::string>& summary() const { return summary_; }
  // The inputs the config enables, with addresses (state not filled).
  const std::vector<InputStatus>& inputs() const { return inputs_; }
  // What /status.json shows now.
  StatusSnapshot Snapshot() const;
  // True from a successful Start until Shutdown begins (/readyz).
  bool Ready() const { return ready_.load(std::memory_order_acquire); }

 private:
  Server() = default;
  void StartWatchdog();

  // The Admin service's rule for the status page: an API key when any is
  // configured. "Bearer KEY", or Basic with the key as password (browsers).
  bool AuthorizeStatusPage(const char* authorization,
                           const std::string& peer) const;

  GatewayConfig config_;
  std::vector<InputStatus> inputs_;
  std::vector<std::string> summary_;
  // What Reload compares a fresh config with (the YAML is not kept).
  ConfigFingerprint fingerprint_;
  mutable absl::Mutex targets_mu_;
  // SinkTarget of each module, by id.
  std::map<std::string, std::string> sink_targets_ ABSL_GUARDED_BY(targets_mu_);
  std::atomic<uint64_t> reloads_ok_{0};
  std::atomic<uint64_t> reloads_refused_{0};
  std::unique_ptr<ApiKeyAuthenticator> authenticator_;
  absl::Time started_at_ = absl::Now();
  std::atomic<bool> ready_{false};
  std::unique_ptr<Pipeline> pipeline_;
  std::vector<std::unique_ptr<Adapter>> adapters_;  // after pipeline_
  bool started_ = false;
  // limits.watchdog_*: started last by Start, stopped first by Shutdown.
  std::unique_ptr<Watchdog> watchdog_;
  // Last member: stopped before anything it reads is destroyed.
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
};

}  // namespace streamgate
