// MqttSession: the MQTT adapter's connection to its broker, over
// libmosquitto in threaded mode. It connects, subscribes to the two device
// topic filters on every CONNACK (a clean or expired session has none),
// reconnects with ReconnectBackoff, and hands every PUBLISH to a
// MessageHandler on its own loop thread.
//
// Acknowledgements: libmosquitto writes the PUBACK of a QoS 1 message only
// after the message callback returns, so the handler's return is the
// acknowledgement. A message the handler gives up (the adapter is
// stopping) is abandoned: libmosquitto 2.0 queued its PUBACK before the
// callback and writes its queue in order afterwards, so the session cuts the
// socket with shutdown(2) before returning and the PUBACK is never written;
// with clean_session false the broker redelivers it to the next gateway
// with this client id.
//
// The loop thread runs mosquitto_loop (max_packets 1) itself, so reconnect
// delays get jitter and Shutdown can interrupt a backoff sleep. After a
// QoS 0 PUBLISH it reads the next packet with mosquitto_loop_read directly
// (up to 64 in a row), saving the select per message; never with a PUBACK
// or anything else to write. Without TLS, libmosquitto's reads of the
// broker socket are served from a SocketReadBuffer (one read(2) for many
// packets instead of four per packet); while it holds bytes the loop skips
// the select.
//
// Threading: Start/StopAccepting/Shutdown from one (main) thread; connected
// and socket_reads from any thread; everything else (callbacks, the
// handler) on the loop thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/mqtt/config.h"
#include "adapters/mqtt/mosquitto_client.h"
#include "adapters/mqtt/mqtt_counters.h"
#include "adapters/mqtt/reconnect_backoff.h"
#include "adapters/mqtt/socket_read_buffer.h"
#include "adapters/mqtt/stop_signal.h"

struct mosquitto;
struct mosquitto_message;
typedef struct mqtt5__property mosquitto_property;

namespace streamgate {

class MqttSession {
 public:
  // Takes one message; returns false to leave it unacknowledged (abandon).
  using MessageHandler =
      std::function<bool(absl::string_view topic, absl::string_view payload)>;

  // `config`, `stop` and `counters` must outlive the session.
  MqttSession(const MqttConfig& config, StopSignal& stop,
              MqttCounters& counters, MessageHandler handler);
  ~MqttSession();
  MqttSession(const MqttSession&) = delete;
  MqttSession& operator=(const MqttSession&) = delete;

  // Connects, subscribes and waits for the SUBACKs (up to
  // connect_timeout_ms). A refused connection, a TLS failure or a refused
  // subscription is returned as an error naming the broker and the reason.
  absl::Status Start();
  // Gives `stop` (no more messages are taken; the handler's backpressure
  // sleeps end) and queues a DISCONNECT: the session and its subscriptions
  // stay at the broker. Only the first call does anything.
  void StopAccepting();
  // StopAccepting, then waits for the loop thread to leave (forcing it at
  // `deadline`).
  void Shutdown(absl::Time deadline);

  bool connected() const { return connected_.load(std::memory_order_relaxed); }
  // read(2) calls made on the broker socket so far (see SocketReadBuffer).
  uint64_t socket_reads() const { return read_buffer_.kernel_reads(); }
  // "host:port".
  std::string broker() const;

 private:
  enum class StartState { kPending, kReady, kFailed };

  // libmosquitto callbacks (trampolines cast the userdata back).
  static void OnConnectCb(mosquitto*, void*, int, int,
                          const mosquitto_property*);
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
  // Ensures no PUBACK follows for the message in hand (see the header note).
  void Abandon(absl::string_view topic);

  void LoopThread();
  // One loop turn without a select, while read_buffer_ holds bytes.
  int LoopBuffered();
  int ConnectOnce(bool first);
  void FinishStart(absl::Status status);
  std::string DescribeError(int rc);

  const MqttConfig& config_;
  StopSignal& stop_;  // also: leave the loop once disconnected
  MqttCounters& counters_;
  const MessageHandler handler_;
  std::vector<std::string> filters_;  // SubscriptionFilters(config)

  std::unique_ptr<MosquittoClient> client_;
  mosquitto* mosq_ = nullptr;  // client_->get(), once started
  std::thread loop_;
  std::atomic<bool> started_{false};
  std::atomic<bool> connected_{false};   // CONNACK success .. disconnect
  std::atomic<bool> force_exit_{false};  // leave now (Shutdown deadline)

  // Loop-thread state.
  ReconnectBackoff backoff_;
  std::vector<int> pending_subacks_;
  // Set by OnMessage when it took a QoS 0 PUBLISH and queued nothing to
  // send: the loop may then read the next packet without a select first.
  bool read_more_ = false;
  // libmosquitto's reads of the broker socket, many packets per read(2).
  SocketReadBuffer read_buffer_;

  absl::Mutex mu_;
  StartState start_state_ ABSL_GUARDED_BY(mu_) = StartState::kPending;
  absl::Status start_status_ ABSL_GUARDED_BY(mu_);
  std::string last_error_log_ ABSL_GUARDED_BY(mu_);  // from libmosquitto
  bool loop_done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace streamgate
