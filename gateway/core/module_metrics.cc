// Module::CollectMetrics: the module's series, all labelled module="ID".
#include "gateway/core/module.h"

namespace streamgate {
namespace {

double D(const std::atomic<uint64_t>& v) {
  return static_cast<double>(ModuleCounters::Get(v));
}

}  // namespace

void Module::CollectMetrics(metrics::MetricsWriter& root) const {
  metrics::LabeledWriter out(root, {{"module", config_.id}});
  const ModuleCounters& c = counters_;
  out.Counter("streamgate_module_records_accepted_total",
              "Records the module's queue accepted.", {},
              D(c.accepted_records));
  out.Counter("streamgate_module_bytes_accepted_total",
              "Bytes (data plus partition key) the module's queue accepted.",
              {}, D(c.accepted_bytes));
  out.Counter("streamgate_module_records_rejected_total",
              "Records refused because the module's queue was full "
              "(the whole input was refused with RESOURCE_EXHAUSTED).",
              {{"reason", "queue_full"}}, D(c.rejected_full));
  out.Gauge("streamgate_module_queue_depth_records",
            "Records waiting in the module's queue.", {},
            static_cast<double>(queue_->depth()));
  const uint64_t written = ModuleCounters::Get(c.written_records);
  const uint64_t settled = ModuleCounters::Get(c.delivered) +
                           ModuleCounters::Get(c.dead_lettered) +
                           ModuleCounters::Get(c.undelivered);
  out.Counter("streamgate_module_sink_records_written_total",
              "Records handed from the queue to the module's sink.", {},
              static_cast<double>(written));
  out.Counter("streamgate_module_sink_bytes_written_total",
              "Bytes handed from the queue to the module's sink.", {},
              D(c.written_bytes));
  out.Gauge("streamgate_module_sink_records_pending",
            "Records handed to the sink whose batch has not settled yet.", {},
            static_cast<double>(written - std::min(written, settled)));
  out.Counter("streamgate_module_records_delivered_total",
              "Records the module's sink delivered.", {}, D(c.delivered));
  out.Counter("streamgate_module_records_retried_total",
              "Record retries by the module's sink (one per retry).", {},
              D(c.retries));
  out.Counter("streamgate_module_records_dead_lettered_total",
              "Records the module's sink gave up on and dead-lettered.", {},
              D(c.dead_lettered));
  queue_->CollectMetrics(out);
  sink_->CollectMetrics(out);
}

}  // namespace streamgate
