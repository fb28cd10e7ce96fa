// Counters of the MQTT adapter, one per outcome and per rejection reason,
// and their export to the metrics endpoint. Written by the adapter's loop
// thread, read from any thread (relaxed atomics: each value is independent).
#pragma once

#include <atomic>
#include <cstdint>

namespace streamgate {
namespace metrics {
class MetricsWriter;  // gateway/api/metrics_writer.h
}

struct MqttCounters {
  using Counter = std::atomic<uint64_t>;

  Counter received{0};         // every PUBLISH handled (its batch returned)
  Counter events_accepted{0};  // events Ingest accepted
  Counter bulk_accepted{0};    // bulk payloads Ingest accepted

  // Rejections: logged at ERROR and acknowledged (never retried).
  Counter rejected_bad_topic{0};        // device id not a positive integer, ...
  Counter rejected_unknown_device{0};   // not in the registry, no default home
  Counter rejected_invalid_json{0};     // event payload is not JSON
  Counter rejected_not_object{0};       // event payload is not a JSON object
  Counter rejected_event_type{0};       // eventType missing/not string/empty
  Counter rejected_event_data{0};       // eventData not an object
  Counter rejected_event_by_ingest{0};  // e.g. an oversized record
  Counter rejected_bulk_by_ingest{0};   // malformed MessagePack, oversized
  Counter rejected_mapping{0};  // a mapping's device_id/event_type gave nothing valid
  Counter failed_other{0};              // any other Ingest error (logged)

  // Backpressure: messages that found a full queue and waited for room.
  Counter backpressure_waits{0};
  // Messages left unacknowledged at shutdown; the broker redelivers them to
  // the next session under the same client id (QoS >= 1).
  Counter abandoned_at_shutdown{0};
  // Ingest calls whose spool commit failed: their messages stay
  // unacknowledged and the session reconnects for the broker to redeliver.
  Counter commit_refused{0};

  Counter connects{0};    // CONNACKs with success
  Counter subscribed{0};  // connections whose SUBACKs all granted
  Counter disconnects{0};
  Counter batches{0};  // socket reads that completed at least one PUBLISH
  Counter pings{0};    // PINGREQs sent (an idle connection's keepalive)
  // Times read coalescing paused because the broker's in-flight window
  // bounded the batches (mqtt_session.cc, kWindowBoundReads).
  Counter linger_pauses{0};

  // Writes every counter as a streamgate_mqtt_* metric, with the socket's
  // read(2) count and the connection state (which live in the session).
  void WriteMetrics(uint64_t socket_reads, bool connected,
                    metrics::MetricsWriter& out) const;
};

}  // namespace streamgate
