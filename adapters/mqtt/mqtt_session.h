// MqttSession: the MQTT adapter's own subscriber session with its broker
// (MQTT 3.1.1 or 5), over a BrokerConnection it owns (TCP or TLS, poll(2)).
// One loop thread connects (CONNECT with the configured clean session /
// Session Expiry Interval, Receive Maximum and Maximum Packet Size),
// subscribes to the two device topic filters in one SUBSCRIBE on every
// CONNACK (a clean or expired session has none), keeps the connection
// alive with PINGREQ, and reconnects with ReconnectBackoff.
//
// Batches: each read of the socket fills a buffer with as many packets as
// the kernel has (under steady traffic the read waits read_linger_us
// first, so one read carries tens of messages rather than one to three);
// every PUBLISH that read completed goes to the
// BatchHandler in one call (one ingest batch, one spool commit), and the
// PUBACKs (PUBRECs for QoS 2) of the messages it settled go out together in
// one write, only after it returned. Messages it did not settle get no
// acknowledgement: on a refused commit the session disconnects and, after
// a backoff, reconnects, and the broker redelivers every unacknowledged
// message of the session (clean_session false); when stopping it leaves
// them for the next session with this client id.
//
// QoS 2 is received exactly once per session: the packet id of a delivered
// message is kept until the broker's PUBREL, and a redelivered PUBLISH with
// that id is acknowledged without being handed over again.
//
// Start-up: Start() returns once subscribed. A broker that cannot be
// reached is retried with backoff; Start() gives up after
// mqtt.start_timeout_ms or, when that is unset, returns at once and the
// loop keeps retrying in the background. A refusal (CONNACK or SUBACK
// failure code, a failed TLS handshake) fails Start() at once.
//
// Threading: Start/StopAccepting/Shutdown from one (main) thread; connected
// and socket_reads from any thread; everything else, including the handler,
// on the loop thread.
//
// (Re)connect and handshake: mqtt_session_connect.cc; the rest mqtt_session.cc.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "adapters/mqtt/broker_connection.h"
#include "adapters/mqtt/config.h"
#include "adapters/mqtt/inbound_batch.h"
#include "adapters/mqtt/mqtt_counters.h"
#include "adapters/mqtt/protocol/packet.h"
#include "adapters/mqtt/protocol/packet_reader.h"
#include "adapters/mqtt/read_linger.h"
#include "adapters/mqtt/reconnect_backoff.h"
#include "adapters/mqtt/stop_signal.h"
#include "adapters/mqtt/tls_context.h"

namespace streamgate {

class MqttSession {
 public:
  using BatchHandler =
      std::function<BatchResult(absl::Span<const InboundMessage> batch)>;

  // `config`, `stop` and `counters` must outlive the session.
  MqttSession(const MqttConfig& config, StopSignal& stop,
              MqttCounters& counters, BatchHandler handler);
  ~MqttSession();
  MqttSession(const MqttSession&) = delete;
  MqttSession& operator=(const MqttSession&) = delete;

  // See the header comment. Errors name the broker and the reason.
  absl::Status Start();
  // Gives `stop` (no more messages are taken; the handler's backpressure
  // sleeps end) and wakes the loop, which sends DISCONNECT: the session and
  // its subscriptions stay at the broker. Only the first call does anything.
  void StopAccepting();
  // StopAccepting, then waits for the loop thread to leave (forcing it at
  // `deadline`).
  void Shutdown(absl::Time deadline);

  bool connected() const { return connected_.load(std::memory_order_relaxed); }
  // Reads of the broker socket that returned bytes so far.
  uint64_t socket_reads() const {
    return socket_reads_.load(std::memory_order_relaxed);
  }
  // "host:port".
  std::string broker() const { return config_.broker(); }

 private:
  enum class StartState { kPending, kReady, kRetrying, kFailed };
  // One PUBLISH of the current read, for its acknowledgement.
  struct Delivery {
    uint8_t qos;
    uint16_t packet_id;
    bool handed_over;  // false: a QoS 2 duplicate, acknowledged only
  };
  // Longest broker-sent text (reason strings) quoted in a log line.
  static constexpr size_t kMaxLoggedText = 200;

  // The text of a CONNACK, SUBACK or DISCONNECT code of `protocol`.
  static std::string ConnackText(int protocol, uint8_t code);

  void LoopThread();
  // One connection, from CONNECT until it ends; the reason it ended (OK
  // when stopping).
  absl::Status RunConnection();
  // CONNECT and CONNACK; then SUBSCRIBE.
  absl::Status Handshake(BrokerConnection& conn, absl::Time deadline);
  // Reads once (waiting up to `timeout`) and handles every packet the
  // buffer then holds. Sets *idle when nothing was read.
  absl::Status ReadAndHandle(BrokerConnection& conn, absl::Duration timeout,
                             bool* idle);
  absl::Status HandlePacket(const mqtt::Packet& packet);
  // After a read that slept: tells linger_ its QoS >= 1 count.
  void NoteLingeredBatch();
  absl::Status OnSuback(const mqtt::Packet& packet);
  // Hands batch_ over and acknowledges what it settled, in one write.
  absl::Status DispatchBatch(BrokerConnection& conn);
  absl::Status Send(BrokerConnection& conn, absl::string_view bytes);
  // Sends DISCONNECT (best effort) before the connection is dropped.
  void SayGoodbye(BrokerConnection& conn, uint8_t reason);
  void FinishStart(StartState state, absl::Status status);
  void Wake();

  const MqttConfig& config_;
  StopSignal& stop_;
  MqttCounters& counters_;
  const BatchHandler handler_;
  std::vector<std::string> filters_;  // SubscriptionFilters(config)
  const int protocol_;                // mqtt::kProtocol311 or kProtocol5
  const mqtt::PacketReader reader_;

  std::unique_ptr<TlsContext> tls_;
  int wake_fd_ = -1;  // eventfd: StopAccepting wakes the loop's poll
  std::thread loop_;
  std::atomic<bool> started_{false};
  std::atomic<bool> connected_{false};   // CONNACK success .. disconnect
  std::atomic<bool> force_exit_{false};  // leave now (Shutdown deadline)
  std::atomic<uint64_t> socket_reads_{0};

  // Loop-thread state.
  ReconnectBackoff backoff_;
  std::string in_;  // bytes read and not yet decoded: in_[0, in_used_)
  size_t in_used_ = 0;
  std::string out_;  // acknowledgements of one batch, one write
  std::vector<InboundMessage> batch_;
  std::vector<Delivery> deliveries_;
  // QoS 2 packet ids handed over and awaiting PUBREL (session state).
  absl::flat_hash_set<uint16_t> awaiting_release_;
  bool subscribed_ = false;  // this connection's SUBACK came
  bool ping_outstanding_ = false;
  ReadLinger linger_;      // config.read_linger_us
  bool lingered_ = false;  // this read slept first
  absl::Time last_send_;
  absl::Time ping_sent_;
  absl::Duration keepalive_;
  absl::Status connection_error_;  // set by HandlePacket to end a connection

  absl::Mutex mu_;
  StartState start_state_ ABSL_GUARDED_BY(mu_) = StartState::kPending;
  absl::Status start_status_ ABSL_GUARDED_BY(mu_);
  bool loop_done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace streamgate
