// Gateway: builds the whole pipeline from a config — device registry,
// module queues, sinks (through the SinkRegistry), router, ingester,
// workers, adapters — and runs its lifecycle. Create does no I/O, so
// --check-config uses it to validate everything a start would.
//
// Shutdown order (spec 5): adapters stop accepting (health NOT_SERVING),
// ingest answers UNAVAILABLE, in-flight calls finish, queues drain into the
// sinks and the sinks flush, all by one deadline.
//
// Threading: all methods from the main thread.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/api/adapter.h"
#include "gateway/core/config.h"
#include "gateway/common/dead_letter_file.h"
#include "gateway/core/dead_lettering_ingest.h"
#include "gateway/core/door_rejects.h"
#include "gateway/core/device_registry.h"
#include "gateway/core/ingester.h"
#include "gateway/core/module_queue.h"
#include "gateway/core/module_worker.h"
#include "gateway/core/router.h"
#include "gateway/api/sink_registry.h"

namespace streamgate {

class AdminService;
class ApiKeyAuthenticator;
class GrpcAdapter;
class ModuleLogs;
namespace metrics {
class CountingSink;
class MetricsServer;
class MetricsWriter;
}  // namespace metrics

class Gateway {
 public:
  static absl::StatusOr<std::unique_ptr<Gateway>> Create(
      GatewayConfig config, const SinkRegistry& sinks);
  ~Gateway();

  absl::Status Start();
  // Returns true when every queue drained and flushed before the deadline.
  bool Shutdown();

  // SIGHUP: a new device registry, and adapters re-read what they can.
  void Reload(DeviceMap devices);

  Ingester& ingester() { return *ingester_; }
  int grpc_port() const;
  // The /metrics endpoint's port; 0 when metrics.listen is not set.
  int metrics_port() const;
  // Writes every metric (what a scrape of /metrics returns).
  void CollectMetrics(metrics::MetricsWriter& out) const;

 private:
  Gateway() = default;

  struct Module {
    std::unique_ptr<ModuleQueue> queue;
    std::unique_ptr<Sink> sink;
    std::unique_ptr<ModuleStats> stats;
    std::unique_ptr<ModuleWorker> worker;
  };

  GatewayConfig config_;
  std::unique_ptr<DeviceRegistry> registry_;
  // The root dead_letter file, if any: door rejects (both adapters) and the
  // given-up records of sinks without a file of their own. Declared before
  // modules_ and adapters_ to outlive them.
  std::unique_ptr<DeadLetterFile> dead_letters_;
  std::vector<Module> modules_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<Ingester> ingester_;
  // The gRPC adapter sees the Ingester through grpc_ingest_, which reports
  // its INVALID_ARGUMENT inputs. Declared before adapters_ to outlive them.
  std::unique_ptr<DoorDeadLetters> door_rejects_;
  std::unique_ptr<DeadLetteringIngest> grpc_ingest_;
  // API keys for every gRPC service; declared before adapters_ to outlive them.
  std::unique_ptr<ApiKeyAuthenticator> auth_;
  // Observability (gateway/metrics/): each module's sink is wrapped in a
  // CountingSink (counting_sinks_[i] is modules_[i].sink); the log rings and
  // the Admin service are declared before adapters_ to outlive the server.
  std::vector<metrics::CountingSink*> counting_sinks_;
  std::unique_ptr<ModuleLogs> module_logs_;
  std::atomic<bool> stopping_{false};
  std::unique_ptr<AdminService> admin_;
  GrpcAdapter* grpc_ = nullptr;  // owned by adapters_
  std::vector<std::unique_ptr<Adapter>> adapters_;
  bool started_ = false;
  // Last member: stopped before anything it reads is destroyed.
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
};

}  // namespace streamgate
