// Process basics in the standard Prometheus client names
// (process_cpu_seconds_total, process_resident_memory_bytes, ...), read from
// /proc/self on each scrape. Linux only.
//
// Threading: stateless; call from any thread.
#pragma once

#include "gateway/api/metrics_writer.h"

namespace streamgate::metrics {

void CollectProcessMetrics(MetricsWriter& out);

}  // namespace streamgate::metrics
