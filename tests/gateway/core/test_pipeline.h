// TestPipeline: the core's ingest path assembled as the Gateway does it
// (config → DeviceRegistry, one MemoryQueue per module, Router, Ingester),
// without sinks, workers or adapters, so tests can publish and then look at
// exactly what each module's queue holds. Test-only; one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gateway/core/config.h"
#include "gateway/core/device_registry.h"
#include "gateway/core/ingester.h"
#include "gateway/core/memory_queue.h"
#include "gateway/core/router.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace testing {

class TestPipeline {
 public:
  // `yaml` is a complete config; it must parse.
  explicit TestPipeline(const std::string& yaml) {
    auto parsed = ParseConfig(yaml, "test.yaml");
    if (!parsed.ok()) {
      ADD_FAILURE() << parsed.status();
      parsed = ParseConfig(
          "modules: [{id: none, subscribe_events: ['-'], sink: {type: stdout}}]",
          "fallback");
    }
    config_ = std::move(*parsed);
    registry_ = std::make_unique<DeviceRegistry>(config_.devices);
    std::vector<RoutedModule> routed;
    for (const ModuleConfig& m : config_.modules) {
      queues_.push_back(std::make_unique<MemoryQueue>(
          static_cast<size_t>(m.queue.max_records),
          static_cast<size_t>(m.queue.max_bytes)));
      stats_.push_back(std::make_unique<ModuleStats>());
      routed.push_back(
          RoutedModule{m.id, m.use_uuid, queues_.back().get(), stats_.back().get()});
    }
    router_ = std::make_unique<Router>(config_.modules, std::move(routed));
    ingester_ = std::make_unique<Ingester>(
        *registry_, *router_, static_cast<size_t>(config_.max_record_bytes));
  }

  Ingester& ingester() { return *ingester_; }
  const GatewayConfig& config() const { return config_; }
  MemoryQueue& queue(int i) { return *queues_[i]; }
  const ModuleStats& stats(int i) const { return *stats_[i]; }

  // Takes everything queued for module `i`, without waiting.
  OutBatch Drain(int i) {
    OutBatch out;
    queues_[i]->Pop(out, 1 << 20, absl::ZeroDuration());
    return out;
  }

  // Record bytes of everything queued for module `i`.
  std::vector<std::string> DrainData(int i) {
    std::vector<std::string> out;
    for (const OutRecord& r : Drain(i)) out.push_back(*r.data);
    return out;
  }

 private:
  GatewayConfig config_;
  std::unique_ptr<DeviceRegistry> registry_;
  std::vector<std::unique_ptr<MemoryQueue>> queues_;
  std::vector<std::unique_ptr<ModuleStats>> stats_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<Ingester> ingester_;
};

}  // namespace testing
}  // namespace streamgate
