// SpooledIngest: the core's Ingester and Router over SpoolQueues whose file
// systems the test owns (FaultSpoolEnv, one per module), for tests of what
// the spool keeps when an input path acknowledges: the router's
// all-or-nothing commit, and power loss under the gRPC and MQTT adapters.
// Modules come from a `modules:` YAML; module i uses envs[i] and the spool
// directory /disk/<id>. Events need a home_id (the registry is empty).
//
// Threading: ingest() is thread-safe (it is the real Ingester); the rest is
// for the test thread.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gateway/core/config.h"
#include "gateway/core/device_registry.h"
#include "gateway/core/ingester.h"
#include "gateway/core/module_counters.h"
#include "gateway/core/router.h"
#include "gateway/core/router_table.h"
#include "gateway/spool/spool_queue.h"
#include "spdlog/sinks/null_sink.h"
#include "tests/fakes/fault_spool_env.h"

namespace streamgate {
namespace testing {

class SpooledIngest {
 public:
  // Starts every module's spool; the error of the first that fails.
  absl::Status Start(const std::string& modules_yaml,
                     const std::vector<FaultSpoolEnv*>& envs,
                     bool fsync_always = true) {
    auto config = ParseConfig(modules_yaml, "spooled.yaml", {});
    if (!config.ok()) return config.status();
    config_ = *std::move(config);
    auto quiet = std::make_shared<spdlog::logger>(
        "spool", std::make_shared<spdlog::sinks::null_sink_mt>());
    std::vector<RoutedModule> routed;
    for (size_t i = 0; i < config_.modules.size(); ++i) {
      const ModuleConfig& m = config_.modules[i];
      SpoolOptions o;
      o.dir = "/disk/" + m.id;
      o.max_bytes = 64 << 20;
      o.segment_bytes = 64 << 10;
      o.fsync_always = fsync_always;
      o.fsync_interval_ms = 5;
      queues_.push_back(
          std::make_unique<SpoolQueue>(m.id, o, envs.at(i), quiet));
      if (absl::Status st = queues_.back()->Start(); !st.ok()) return st;
      counters_.push_back(std::make_unique<ModuleCounters>());
      routed.push_back(RoutedModule{m.id, m.use_uuid, queues_.back().get(),
                                    counters_.back().get()});
    }
    routes_ = std::make_unique<RouteTable>(
        std::make_shared<Router>(config_.modules, std::move(routed)));
    ingester_ = std::make_unique<Ingester>(registry_, *routes_, 1 << 20);
    return absl::OkStatus();
  }

  Ingester& ingest() { return *ingester_; }
  SpoolQueue& queue(size_t i) { return *queues_.at(i); }

 private:
  GatewayConfig config_;
  DeviceRegistry registry_{std::make_shared<const DeviceTable>()};
  std::vector<std::unique_ptr<SpoolQueue>> queues_;
  std::vector<std::unique_ptr<ModuleCounters>> counters_;
  std::unique_ptr<RouteTable> routes_;
  std::unique_ptr<Ingester> ingester_;
};

}  // namespace testing
}  // namespace streamgate
