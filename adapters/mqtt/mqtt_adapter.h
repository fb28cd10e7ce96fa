// MqttAdapter: the gateway as an MQTT client of a broker (spec 1.3, issue 4).
// It subscribes to /devices/+/event and /devices/+/bulkData/+ (behind
// $share/{group}/ when shared_group is set) and turns each PUBLISH into one
// Ingest call.
//
// What an acknowledgement to the broker means: libmosquitto runs here in
// threaded mode, where the PUBACK of a QoS 1 message is written only after
// on_message returns. on_message returns only once Ingest has accepted the
// message into every matching module's queue (or rejected it for good: bad
// topic, bad payload, unknown device — logged and counted). So a PUBACK means
// "queued in the gateway", the same promise as a gRPC OK. When a queue is full
// (Ingest: RESOURCE_EXHAUSTED), on_message keeps the message and retries with
// short sleeps; the loop thread stalls, no PUBACK goes out, the broker's
// inflight window fills and it holds the rest of the queue (backpressure).
// A stall longer than ~1.5 x keepalive_s makes the broker drop the
// connection; the message is then delivered again after the reconnect
// (at-least-once: it may be repeated, never lost).
//
// Shutdown: StopAccepting queues a DISCONNECT and stops ingesting; a message
// being retried is given up without a PUBACK (libmosquitto queued that
// PUBACK before the callback, so the adapter cuts the socket with
// shutdown(2) before returning and it is never written), so with
// clean_session false the broker redelivers it to the next gateway with
// this client id.
//
// Reconnects: the adapter runs its own loop thread around mosquitto_loop
// (max_packets 1, threaded mode) so that reconnect delays use exponential
// backoff with jitter (libmosquitto's own backoff has no jitter) and so
// Shutdown can interrupt a backoff sleep. Subscriptions are renewed on every
// CONNACK. After a QoS 0 PUBLISH the loop reads the next packet with
// mosquitto_loop_read directly (up to 64 in a row), saving the select per
// message; it never does so with a PUBACK or anything else to write.
// Without TLS, libmosquitto's reads of the broker socket are served from a
// SocketReadBuffer (one read(2) for many packets instead of four per
// packet); while it holds bytes the loop skips the select.
//
// Threading: Start/StopAccepting/Shutdown from one (main) thread;
// counters() from any thread; everything else runs on the loop thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gateway/api/adapter.h"
#include "adapters/mqtt/config.h"
#include "adapters/mqtt/event_payload.h"
#include "adapters/mqtt/mqtt_counters.h"
#include "adapters/mqtt/socket_read_buffer.h"
#include "gateway/api/rejects.h"
#include "gateway/api/ingest.h"

struct mosquitto;
struct mosquitto_message;
typedef struct mqtt5__property mosquitto_property;

namespace streamgate {

class MqttAdapter : public Adapter {
 public:
  // Every message rejected for good is also reported to `rejects` (the
  // gateway's dead-letter file), which must outlive the adapter.
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
  // read(2) calls made on the broker socket so far (see SocketReadBuffer).
  uint64_t socket_reads() const { return read_buffer_.kernel_reads(); }

  // Messages received, accepted, rejected by reason, connection state.
  void CollectMetrics(metrics::MetricsWriter& out) const override;

 private:
  enum class StartState { kPending, kReady, kFailed };

  // libmosquitto callbacks (trampolines cast the userdata back).
  static void OnConnectCb(mosquitto*, void*, int, int, const mosquitto_property*);
  static void OnDisconnectCb(mosquitto*, void*, int, const mosquitto_property*);
  static void OnSubscribeCb(mosquitto*, void*, int, int, const int*,
                            const mosquitto_property*);
  static void OnMessageCb(mosquitto*, void*, const mosquitto_message*,
                          const mosquitto_property*);
  static void OnLogCb(mosquitto*, void*, int, const char*);

  void OnConnect(int reason, int flags);
  void OnDisconnect(int reason);
  void OnSubscribe(int mid, int count, const int* granted);
  void OnMessage(const mosquitto_message& message);

  void HandleEvent(absl::string_view topic, int64_t device_id,
                   absl::string_view payload);
  void HandleBulk(absl::string_view topic, int64_t device_id,
                  absl::string_view label, absl::string_view payload);
  // Calls `publish` until it is neither RESOURCE_EXHAUSTED nor UNAVAILABLE,
  // or the adapter stops accepting (returns false: leave unacknowledged).
  template <typename Fn>
  bool PublishWithBackpressure(Fn publish, absl::Status* status);
  // Ensures no PUBACK follows for the message in hand (see the header note).
  void Abandon(absl::string_view topic);
  // Counts, logs and reports to rejects_ (with the raw payload).
  void Reject(MqttCounters::Counter& counter, int64_t device_id,
              absl::string_view topic, absl::string_view reason,
              absl::string_view payload);

  void LoopThread();
  // One loop turn without a select, while read_buffer_ holds bytes.
  int LoopBuffered();
  int ConnectOnce(bool first);
  absl::Duration NextBackoff();
  void FinishStart(absl::Status status);
  std::string DescribeError(int rc);
  std::string broker() const;

  const MqttConfig config_;
  Ingest& ingest_;
  DoorRejects& rejects_;
  MqttCounters counters_;
  std::vector<std::string> filters_;  // the two subscriptions

  mosquitto* mosq_ = nullptr;
  mosquitto_property* connect_props_ = nullptr;
  std::thread loop_;

  // Loop-thread state.
  EventPayloadParser event_parser_;
  std::vector<int> pending_subacks_;
  int64_t backoff_ms_ = 0;
  std::mt19937_64 rng_;
  absl::Time stall_started_ = absl::InfinitePast();
  // Set by OnMessage when it took a QoS 0 PUBLISH and queued nothing to
  // send: the loop may then read the next packet without a select first.
  bool read_more_ = false;
  // libmosquitto's reads of the broker socket, many packets per read(2).
  SocketReadBuffer read_buffer_;

  std::atomic<bool> accepting_{false};
  std::atomic<bool> connected_{false};   // CONNACK success .. disconnect
  std::atomic<bool> loop_exit_{false};   // leave once disconnected
  std::atomic<bool> force_exit_{false};  // leave now (Shutdown deadline)
  std::atomic<bool> started_{false};
  absl::Notification stop_accepting_;     // wakes backpressure/backoff sleeps
  std::atomic<bool> stop_notified_{false};

  absl::Mutex mu_;
  StartState start_state_ ABSL_GUARDED_BY(mu_) = StartState::kPending;
  absl::Status start_status_ ABSL_GUARDED_BY(mu_);
  std::string last_error_log_ ABSL_GUARDED_BY(mu_);  // from libmosquitto
  bool loop_done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace streamgate
