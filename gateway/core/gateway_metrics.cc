#include "gateway/core/gateway_metrics.h"

#include "gateway/core/process_metrics.h"

namespace streamgate::metrics {
namespace {

double Load(const std::atomic<uint64_t>& v) {
  return static_cast<double>(v.load(std::memory_order_relaxed));
}

void CollectModule(const ModuleMetricsSource& m, MetricsWriter& root) {
  LabeledWriter out(root, {{"module", m.id}});
  out.Counter("streamgate_module_records_accepted_total",
              "Records the module's queue accepted.", {},
              Load(m.stats.accepted_records));
  out.Counter("streamgate_module_bytes_accepted_total",
              "Bytes (data plus partition key) the module's queue accepted.",
              {}, Load(m.stats.accepted_bytes));
  out.Counter("streamgate_module_records_rejected_total",
              "Records refused because the module's queue was full "
              "(the whole input was refused with RESOURCE_EXHAUSTED).",
              {{"reason", "queue_full"}}, Load(m.stats.rejected_full));
  out.Gauge("streamgate_module_queue_depth_records",
            "Records waiting in the module's queue.", {},
            static_cast<double>(m.queue.depth()));
  out.Counter("streamgate_module_sink_records_written_total",
              "Records handed from the queue to the module's sink.", {},
              static_cast<double>(m.sink.written_records()));
  out.Counter("streamgate_module_sink_bytes_written_total",
              "Bytes handed from the queue to the module's sink.", {},
              static_cast<double>(m.sink.written_bytes()));
  out.Gauge("streamgate_module_sink_records_pending",
            "Records handed to the sink whose batch has not settled yet.", {},
            static_cast<double>(m.sink.written_records() -
                                std::min(m.sink.written_records(),
                                         m.sink.settled_records())));
  if (!m.sink.ReportsDelivery()) {
    // The sink finishes each batch in Write: settled means delivered, and
    // it never retries or dead-letters.
    out.Counter("streamgate_module_records_delivered_total",
                "Records the module's sink delivered.", {},
                static_cast<double>(m.sink.settled_records()));
    out.Counter("streamgate_module_records_retried_total",
                "Record retries by the module's sink (one per retry).", {}, 0);
    out.Counter("streamgate_module_records_dead_lettered_total",
                "Records the module's sink gave up on and dead-lettered.", {},
                0);
  }
  m.queue.CollectMetrics(out);
  m.sink.CollectMetrics(out);
}

}  // namespace

void CollectGatewayMetrics(const std::vector<ModuleMetricsSource>& modules,
                           const IngestStats& ingest,
                           const std::vector<std::unique_ptr<Adapter>>& adapters,
                           MetricsWriter& out) {
  for (const ModuleMetricsSource& m : modules) CollectModule(m, out);

  out.Counter("streamgate_ingest_events_accepted_total",
              "Events accepted from any adapter (gRPC, MQTT).", {},
              Load(ingest.events_accepted));
  out.Counter("streamgate_ingest_bulk_records_accepted_total",
              "Bulk data records accepted from any adapter.", {},
              Load(ingest.bulk_records_accepted));
  out.Counter("streamgate_ingest_unrouted_total",
              "Accepted inputs that no module subscribes to.", {},
              Load(ingest.unrouted));
  const char* kRejectedHelp =
      "Publish calls refused by ingest, by reason (invalid: "
      "INVALID_ARGUMENT, exhausted: RESOURCE_EXHAUSTED, unavailable: "
      "shutting down).";
  out.Counter("streamgate_ingest_rejected_total", kRejectedHelp,
              {{"reason", "invalid"}}, Load(ingest.invalid));
  out.Counter("streamgate_ingest_rejected_total", kRejectedHelp,
              {{"reason", "exhausted"}}, Load(ingest.exhausted));
  out.Counter("streamgate_ingest_rejected_total", kRejectedHelp,
              {{"reason", "unavailable"}}, Load(ingest.unavailable));

  for (const auto& a : adapters) a->CollectMetrics(out);
  CollectProcessMetrics(out);
}

}  // namespace streamgate::metrics
