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

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "adapters/adapter.h"
#include "gateway/config.h"
#include "gateway/device_registry.h"
#include "gateway/ingester.h"
#include "gateway/module_queue.h"
#include "gateway/module_worker.h"
#include "gateway/router.h"
#include "sinks/sink_registry.h"

namespace streamgate {

class ApiKeyAuthenticator;
class GrpcAdapter;

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
  std::vector<Module> modules_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<Ingester> ingester_;
  // API keys for every gRPC service; declared before adapters_ to outlive them.
  std::unique_ptr<ApiKeyAuthenticator> auth_;
  GrpcAdapter* grpc_ = nullptr;  // owned by adapters_
  std::vector<std::unique_ptr<Adapter>> adapters_;
  bool started_ = false;
};

}  // namespace streamgate
