#include "adapters/mqtt/mqtt_adapter.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace streamgate {

MqttAdapter::MqttAdapter(MqttConfig config, Ingest& ingest,
                         DoorRejects& rejects)
    : config_(std::move(config)),
      backpressure_(config_.broker(), stop_, counters_),
      dispatcher_(config_, ingest, rejects, counters_, backpressure_),
      session_(config_, stop_, counters_,
               [this](absl::Span<const InboundMessage> batch) {
                 return dispatcher_.DispatchBatch(batch);
               }) {}

MqttAdapter::~MqttAdapter() { Shutdown(absl::Now() + absl::Seconds(2)); }

absl::Status MqttAdapter::Start() { return session_.Start(); }

void MqttAdapter::StopAccepting() { session_.StopAccepting(); }

void MqttAdapter::Shutdown(absl::Time deadline) { session_.Shutdown(deadline); }

void MqttAdapter::CollectMetrics(metrics::MetricsWriter& out) const {
  counters_.WriteMetrics(session_.socket_reads(), session_.connected(), out);
}

}  // namespace streamgate
