// TestPipeline: the core's Pipeline built from a config with null sinks
// (tests/fakes/null_sink.h) and never started, so no worker takes records
// out of the queues: tests publish through ingest and then look at exactly
// what each module's queue holds. Test-only; one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gateway/core/config.h"
#include "gateway/core/pipeline.h"
#include "gtest/gtest.h"
#include "tests/fakes/null_sink.h"

namespace streamgate {
namespace testing {

class TestPipeline {
 public:
  // `yaml` is a complete config; it must parse and build.
  explicit TestPipeline(const std::string& yaml) {
    RegisterNullSinks(sinks_);
    auto parsed = ParseConfig(yaml, "test.yaml", {"grpc", "api_keys", "mqtt"});
    if (!parsed.ok()) {
      ADD_FAILURE() << parsed.status();
      parsed = ParseConfig(
          "modules: [{id: none, subscribe_events: ['-'], sink: {type: stdout}}]",
          "fallback", {});
    }
    config_ = std::move(*parsed);
    auto pipeline = Pipeline::Create(config_, sinks_);
    if (!pipeline.ok()) {
      ADD_FAILURE() << pipeline.status();
      return;
    }
    pipeline_ = *std::move(pipeline);
  }

  Ingester& ingester() { return pipeline_->ingester(); }
  Pipeline& pipeline() { return *pipeline_; }
  const GatewayConfig& config() const { return config_; }
  ModuleQueue& queue(int i) { return pipeline_->modules()[i]->queue(); }
  const ModuleCounters& stats(int i) const {
    return pipeline_->modules()[i]->counters();
  }

  // Takes everything queued for module `i`, without waiting.
  OutBatch Drain(int i) {
    QueueBatch batch;
    queue(i).Pop(batch, 1 << 20, absl::ZeroDuration());
    if (batch.done) std::move(batch.done)(DeliveryReport{});
    return std::move(batch.records);
  }

  // Record bytes of everything queued for module `i`.
  std::vector<std::string> DrainData(int i) {
    std::vector<std::string> out;
    for (const OutRecord& r : Drain(i)) out.push_back(*r.data);
    return out;
  }

 private:
  SinkRegistry sinks_;
  GatewayConfig config_;
  std::unique_ptr<Pipeline> pipeline_;
};

}  // namespace testing
}  // namespace streamgate
