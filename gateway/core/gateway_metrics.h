// The gateway's own metrics, gathered at scrape time from the core's
// counters: per module (ModuleStats, queue depth, the CountingSink around
// its sink, and whatever the sink reports), ingest outcomes (IngestStats),
// each adapter's own report, and process basics.
//
// Threading: reads atomics and thread-safe getters only; call from the
// scrape thread while the gateway is running.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gateway/api/adapter.h"
#include "gateway/core/ingester.h"
#include "gateway/core/counting_sink.h"
#include "gateway/api/metrics_writer.h"
#include "gateway/core/module_queue.h"
#include "gateway/core/router.h"

namespace streamgate::metrics {

struct ModuleMetricsSource {
  std::string id;
  const ModuleStats& stats;
  const ModuleQueue& queue;
  const CountingSink& sink;
};

void CollectGatewayMetrics(const std::vector<ModuleMetricsSource>& modules,
                           const IngestStats& ingest,
                           const std::vector<std::unique_ptr<Adapter>>& adapters,
                           MetricsWriter& out);

}  // namespace streamgate::metrics
