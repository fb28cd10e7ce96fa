#include "adapters/mqtt/mqtt_counters.h"

#include <utility>

#include "gateway/api/metrics_writer.h"

namespace streamgate {

void MqttCounters::WriteMetrics(uint64_t socket_reads, bool connected,
                                metrics::MetricsWriter& out) const {
  auto load = [](const Counter& v) {
    return static_cast<double>(v.load(std::memory_order_relaxed));
  };
  out.Counter("streamgate_mqtt_messages_received_total",
              "MQTT PUBLISH messages the adapter handled.", {}, load(received));
  const char* kAcceptedHelp = "MQTT messages ingest accepted, by kind.";
  out.Counter("streamgate_mqtt_messages_accepted_total", kAcceptedHelp,
              {{"kind", "event"}}, load(events_accepted));
  out.Counter("streamgate_mqtt_messages_accepted_total", kAcceptedHelp,
              {{"kind", "bulk"}}, load(bulk_accepted));
  const char* kRejectedHelp =
      "MQTT messages rejected (logged and acknowledged), by reason.";
  const std::pair<const char*, const Counter*> rejected[] = {
      {"bad_topic", &rejected_bad_topic},
      {"unknown_device", &rejected_unknown_device},
      {"invalid_json", &rejected_invalid_json},
      {"not_object", &rejected_not_object},
      {"event_type", &rejected_event_type},
      {"event_data", &rejected_event_data},
      {"event_by_ingest", &rejected_event_by_ingest},
      {"bulk_by_ingest", &rejected_bulk_by_ingest},
      {"mapping", &rejected_mapping},
      {"other", &failed_other}};
  for (const auto& [reason, value] : rejected) {
    out.Counter("streamgate_mqtt_messages_rejected_total", kRejectedHelp,
                {{"reason", reason}}, load(*value));
  }
  out.Counter("streamgate_mqtt_backpressure_waits_total",
              "MQTT messages that found the gateway full and waited.", {},
              load(backpressure_waits));
  out.Counter("streamgate_mqtt_abandoned_at_shutdown_total",
              "MQTT messages left unacknowledged at shutdown (redelivered).",
              {}, load(abandoned_at_shutdown));
  out.Counter("streamgate_mqtt_commit_refused_total",
              "MQTT ingest calls whose spool commit failed (left "
              "unacknowledged for redelivery).",
              {}, load(commit_refused));
  out.Counter("streamgate_mqtt_batches_total",
              "Socket reads that completed PUBLISHes, each handled as one "
              "ingest batch.",
              {}, load(batches));
  out.Counter("streamgate_mqtt_read_linger_pauses_total",
              "Times read coalescing (mqtt.read_linger_us) paused for a "
              "second because the broker's in-flight window bounded the "
              "batches.",
              {}, load(linger_pauses));
  out.Counter("streamgate_mqtt_pings_total",
              "PINGREQs sent to keep an idle MQTT connection alive.", {},
              load(pings));
  out.Counter("streamgate_mqtt_connects_total",
              "Successful MQTT connections (CONNACK accepted).", {},
              load(connects));
  out.Counter("streamgate_mqtt_disconnects_total",
              "MQTT disconnections, clean or lost.", {}, load(disconnects));
  out.Counter("streamgate_mqtt_socket_reads_total",
              "Reads of the broker socket that returned bytes (one serves "
              "many packets).",
              {}, static_cast<double>(socket_reads));
  out.Gauge("streamgate_mqtt_connected",
            "1 while connected to the broker, else 0.", {}, connected ? 1 : 0);
}

}  // namespace streamgate
