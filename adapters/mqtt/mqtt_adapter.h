// MqttAdapter: the gateway as an MQTT client of a broker (spec 1.3, issue 4).
// It subscribes to /devices/+/event and /devices/+/bulkData/+ (behind
// $share/{group}/ when shared_group is set) and turns the PUBLISHes of each
// socket read into one batch of Ingest calls. It is the composition of four
// parts:
//   MqttSession        its own MQTT session over a socket: loop thread,
//                      reconnects, batched acknowledgements
//                      (adapters/mqtt/mqtt_session.h)
//   MessageDispatcher  topic -> event or bulk Ingest calls, rejects
//   Backpressure       waits for room while module queues are full
//   MqttCounters       counters and their metrics
//
// What an acknowledgement to the broker means: a QoS 1 PUBACK is written
// only after the message was accepted into every matching module's queue
// (or rejected for good: bad topic, bad payload, unknown device — logged
// and counted). So a PUBACK means "queued in the gateway", the same promise
// as a gRPC OK: with a spool at fsync "always" the message is on disk.
// While a queue is full the batch is retried, no PUBACK goes out and the
// broker holds the rest (backpressure). A stall longer than ~1.5 x
// keepalive_s makes the broker drop the connection; the messages are then
// delivered again after the reconnect (at-least-once). A spool that cannot
// commit gets the same treatment: no PUBACK, reconnect, redelivery.
//
// Shutdown: StopAccepting queues a DISCONNECT and stops ingesting; a message
// being retried is given up without a PUBACK, so with clean_session false
// the broker redelivers it to the next gateway with this client id.
//
// Threading: Start/StopAccepting/Shutdown from one (main) thread;
// counters(), socket_reads() and CollectMetrics from any thread; messages
// are handled on the session's loop thread.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "adapters/mqtt/backpressure.h"
#include "adapters/mqtt/config.h"
#include "adapters/mqtt/message_dispatcher.h"
#include "adapters/mqtt/mqtt_counters.h"
#include "adapters/mqtt/mqtt_session.h"
#include "adapters/mqtt/stop_signal.h"
#include "gateway/api/adapter.h"
#include "gateway/api/ingest.h"
#include "gateway/api/rejects.h"

namespace streamgate {

class MqttAdapter : public Adapter {
 public:
  // Every message rejected for good is also reported to `rejects` (the
  // gateway's dead-letter file). `ingest` and `rejects` must outlive the
  // adapter.
  MqttAdapter(MqttConfig config, Ingest& ingest,
              DoorRejects& rejects = NoDoorRejects::Instance());
  ~MqttAdapter() override;
  MqttAdapter(const MqttAdapter&) = delete;
  MqttAdapter& operator=(const MqttAdapter&) = delete;

  std::string name() const override { return "mqtt"; }

  // Connects, subscribes and waits for the SUBACKs (up to
  // connect_timeout_ms). A refused connection, a TLS failure or a refused
  // subscription is returned as an error naming the broker and the reason.
  absl::Status Start() override;
  void StopAccepting() override;
  void Shutdown(absl::Time deadline) override;

  const MqttCounters& counters() const { return counters_; }
  // Between a CONNACK and the end of that connection.
  bool connected() const { return session_.connected(); }
  // Reads of the broker socket that returned bytes so far.
  uint64_t socket_reads() const { return session_.socket_reads(); }

  // Messages received, accepted, rejected by reason, connection state.
  void CollectMetrics(metrics::MetricsWriter& out) const override;

 private:
  const MqttConfig config_;
  MqttCounters counters_;
  StopSignal stop_;
  Backpressure backpressure_;
  MessageDispatcher dispatcher_;
  // Last: destroyed first, so its loop thread ends before what it calls.
  MqttSession session_;
};

}  // namespace streamgate
