#include "adapters/mqtt/mqtt_session.h"

#include <mosquitto.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/mqtt/topic.h"
#include "gateway/common/log_text.h"
#include "spdlog/spdlog.h"

namespace streamgate {
namespace {

// Longest topic text quoted in a log line (topics may be 64 KiB).
constexpr size_t kMaxLoggedTopic = 200;
// QoS 0 PUBLISHes read back to back before the next mosquitto_loop turn
// (select, keepalive, queued writes, exit flags).
constexpr int kMaxReadBurst = 64;

}  // namespace

MqttSession::MqttSession(const MqttConfig& config, StopSignal& stop,
                         MqttCounters& counters, MessageHandler handler)
    : config_(config),
      stop_(stop),
      counters_(counters),
      handler_(std::move(handler)),
      filters_(SubscriptionFilters(config)),
      backoff_(config.reconnect_min_ms, config.reconnect_max_ms) {}

MqttSession::~MqttSession() { Shutdown(absl::Now() + absl::Seconds(2)); }

std::string MqttSession::broker() const { return config_.broker(); }

absl::Status MqttSession::Start() {
  if (started_.exchange(true)) {
    return absl::FailedPreconditionError("mqtt: adapter already started");
  }
  auto client = MosquittoClient::Create(config_, this);
  if (!client.ok()) return client.status();
  client_ = std::move(*client);
  mosq_ = client_->get();
  mosquitto_connect_v5_callback_set(mosq_, &OnConnectCb);
  mosquitto_disconnect_v5_callback_set(mosq_, &OnDisconnectCb);
  mosquitto_subscribe_v5_callback_set(mosq_, &OnSubscribeCb);
  mosquitto_message_v5_callback_set(mosq_, &OnMessageCb);
  loop_ = std::thread([this] { LoopThread(); });

  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    auto decided = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return start_state_ != StartState::kPending;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&decided),
                              absl::Milliseconds(config_.connect_timeout_ms))) {
      start_state_ = StartState::kFailed;
      start_status_ = absl::DeadlineExceededError(absl::StrCat(
          "mqtt: no CONNACK/SUBACK from ", broker(), " within ",
          config_.connect_timeout_ms, " ms",
          last_error_log_.empty() ? "" : "; libmosquitto: ", last_error_log_));
    }
    if (start_state_ == StartState::kReady) return absl::OkStatus();
    status = start_status_;
  }
  Shutdown(absl::Now() + absl::Seconds(2));
  return status;
}

void MqttSession::StopAccepting() {
  if (!stop_.Stop()) return;
  // Stop reading: a no-op when not connected; the loop thread queues one
  // itself when it connects after this.
  if (mosq_ != nullptr) mosquitto_disconnect(mosq_);
}

void MqttSession::Shutdown(absl::Time deadline) {
  StopAccepting();
  if (!loop_.joinable()) return;
  {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithDeadline(absl::Condition(&loop_done_), deadline);
  }
  // Past the deadline (a broker that never takes our DISCONNECT): leave at
  // the next loop turn (at most 1 s) and drop the socket.
  force_exit_.store(true);
  loop_.join();
}

void MqttSession::FinishStart(absl::Status status) {
  absl::MutexLock lock(&mu_);
  if (start_state_ != StartState::kPending) return;
  start_state_ = status.ok() ? StartState::kReady : StartState::kFailed;
  start_status_ = std::move(status);
}

std::string MqttSession::DescribeError(int rc) {
  std::string text = rc == MOSQ_ERR_ERRNO ? std::string(std::strerror(errno))
                                          : std::string(mosquitto_strerror(rc));
  absl::MutexLock lock(&mu_);
  if (!last_error_log_.empty()) {
    absl::StrAppend(&text, " (libmosquitto: ", last_error_log_, ")");
  }
  return text;
}

int MqttSession::ConnectOnce(bool first) {
  {
    absl::MutexLock lock(&mu_);
    last_error_log_.clear();
  }
  // libmosquitto formats every log line (one per PUBLISH at debug level)
  // when a log callback is set: listen only while connecting.
  mosquitto_log_callback_set(mosq_, &OnLogCb);
  if (first) {
    return mosquitto_connect_bind_v5(mosq_, config_.host.c_str(), config_.port,
                                     config_.keepalive_s, nullptr,
                                     client_->connect_properties());
  }
  return mosquitto_reconnect(mosq_);
}

int MqttSession::LoopBuffered() {
  // What mosquitto_loop does after its select, minus the select (which
  // cannot see bytes already in read_buffer_) and the drain of
  // libmosquitto's wake-up socket pair (a later mosquitto_loop drains it).
  if (mosquitto_want_write(mosq_)) {
    const int rc = mosquitto_loop_write(mosq_, 1);
    if (rc != MOSQ_ERR_SUCCESS) return rc;
  }
  const int rc = mosquitto_loop_read(mosq_, 1);
  if (rc != MOSQ_ERR_SUCCESS) return rc;
  return mosquitto_loop_misc(mosq_);  // keepalive
}

void MqttSession::LoopThread() {
  // libmosquitto's TLS reads go through OpenSSL's own buffering.
  const bool buffer_reads = !config_.tls.has_value();
  if (buffer_reads) read_buffer_.Install();
  bool first = true;
  while (!stop_.stopped() && !force_exit_.load()) {
    int rc = ConnectOnce(first);
    first = false;
    if (rc == MOSQ_ERR_SUCCESS) {
      read_buffer_.Reset(buffer_reads ? mosquitto_socket(mosq_) : -1);
      // One packet per turn: larger max_packets values burn CPU in empty
      // write attempts. The 1 s timeout bounds how late a forced exit is.
      bool disconnect_queued = false;
      while (!force_exit_.load(std::memory_order_relaxed)) {
        if (!disconnect_queued && stop_.stopped()) {
          // StopAccepting raced with this (re)connect: leave cleanly.
          mosquitto_disconnect(mosq_);
          disconnect_queued = true;
        }
        read_more_ = false;
        // Bytes already read from the socket would wait for the next
        // packet's arrival (or the 1 s timeout) behind a select.
        rc = read_buffer_.buffered() > 0 ? LoopBuffered()
                                         : mosquitto_loop(mosq_, 1000, 1);
        if (rc != MOSQ_ERR_SUCCESS) break;
        // A select per message was the largest single cost after the
        // reads themselves. While the last packet was a QoS 0 PUBLISH that
        // left nothing to send, read the next one straight away: a socket
        // with nothing buffered costs one read that finds EAGAIN (no
        // callback, so read_more_ stays false) and the loop selects again.
        // Anything else (a QoS 1 message and its PUBACK, a DISCONNECT we
        // queued, PINGRESP, SUBACK, a partial packet) goes back to
        // mosquitto_loop, which writes, drains libmosquitto's wake-up
        // socket pair and keeps the keepalive.
        for (int burst = 0; read_more_ && burst < kMaxReadBurst; ++burst) {
          read_more_ = false;
          rc = mosquitto_loop_read(mosq_, 1);
          if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(mosq_) < 0) break;
        }
        if (rc != MOSQ_ERR_SUCCESS) break;
      }
      // libmosquitto closed (or will close) the socket: its number may be
      // reused by anything opened from now on.
      read_buffer_.Reset(-1);
    }
    if (stop_.stopped() || force_exit_.load()) break;
    const std::string why = DescribeError(rc);
    bool starting;
    {
      absl::MutexLock lock(&mu_);
      starting = start_state_ == StartState::kPending;
    }
    if (starting) {
      FinishStart(absl::UnavailableError(
          absl::StrCat("mqtt: cannot connect to ", broker(), ": ", why)));
      break;
    }
    const absl::Duration delay = backoff_.Next();
    spdlog::warn("mqtt: no connection to {}: {}; reconnecting in {}", broker(),
                 why, absl::FormatDuration(delay));
    stop_.SleepFor(delay);
  }
  read_buffer_.Reset(-1);
  read_buffer_.Uninstall();
  absl::MutexLock lock(&mu_);
  loop_done_ = true;
}

void MqttSession::OnConnectCb(mosquitto*, void* self, int reason, int flags,
                              const mosquitto_property*) {
  static_cast<MqttSession*>(self)->OnConnect(reason, flags);
}
void MqttSession::OnDisconnectCb(mosquitto*, void* self, int reason,
                                 const mosquitto_property*) {
  static_cast<MqttSession*>(self)->OnDisconnect(reason);
}
void MqttSession::OnSubscribeCb(mosquitto*, void* self, int mid, int count,
                                const int* granted, const mosquitto_property*) {
  static_cast<MqttSession*>(self)->OnSubscribe(mid, count, granted);
}
void MqttSession::OnMessageCb(mosquitto*, void* self,
                              const mosquitto_message* message,
                              const mosquitto_property*) {
  static_cast<MqttSession*>(self)->OnMessage(*message);
}
void MqttSession::OnLogCb(mosquitto*, void* self, int level, const char* text) {
  if ((level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)) == 0) return;
  auto* session = static_cast<MqttSession*>(self);
  absl::MutexLock lock(&session->mu_);
  if (!session->last_error_log_.empty()) {
    absl::StrAppend(&session->last_error_log_, "; ");
  }
  absl::StrAppend(&session->last_error_log_, text);
}

void MqttSession::OnConnect(int reason, int flags) {
  if (reason != 0) {
    const char* text = config_.protocol == 5 ? mosquitto_reason_string(reason)
                                             : mosquitto_connack_string(reason);
    spdlog::error("mqtt: broker {} refused the connection: {}", broker(), text);
    FinishStart(absl::PermissionDeniedError(absl::StrCat(
        "mqtt: broker ", broker(), " refused the connection: ", text)));
    return;
  }
  mosquitto_log_callback_set(mosq_, nullptr);
  backoff_.Reset();
  counters_.connects.fetch_add(1, std::memory_order_relaxed);
  connected_.store(true, std::memory_order_relaxed);
  const bool session_present = (flags & 1) != 0;
  spdlog::info("mqtt: connected to {} as '{}' (session present: {})", broker(),
               config_.client_id, session_present ? "yes" : "no");
  // Subscribe on every CONNACK: a clean or expired session has none.
  pending_subacks_.clear();
  for (const std::string& filter : filters_) {
    int mid = 0;
    const int rc = mosquitto_subscribe_v5(mosq_, &mid, filter.c_str(),
                                          config_.qos, 0, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      spdlog::error("mqtt: subscribing to '{}' failed: {}", filter,
                    mosquitto_strerror(rc));
      FinishStart(absl::UnavailableError(
          absl::StrCat("mqtt: subscribing to '", filter,
                       "' failed: ", mosquitto_strerror(rc))));
      continue;
    }
    pending_subacks_.push_back(mid);
  }
}

void MqttSession::OnSubscribe(int mid, int count, const int* granted) {
  auto it = std::find(pending_subacks_.begin(), pending_subacks_.end(), mid);
  if (it == pending_subacks_.end()) return;
  pending_subacks_.erase(it);
  // Granted QoS 0..2; 0x80 and up is a refusal (e.g. the broker's ACL).
  for (int i = 0; i < count; ++i) {
    if (granted[i] >= 0x80) {
      const std::string text = absl::StrCat(
          "mqtt: broker ", broker(), " refused a subscription (mid ", mid,
          "): ", mosquitto_reason_string(granted[i]));
      spdlog::error("{}", text);
      FinishStart(absl::PermissionDeniedError(text));
      return;
    }
    if (granted[i] < config_.qos) {
      spdlog::warn("mqtt: broker {} granted QoS {} instead of {}", broker(),
                   granted[i], config_.qos);
    }
  }
  if (pending_subacks_.empty()) {
    counters_.subscribed.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("mqtt: subscribed to {} at QoS {}",
                 absl::StrJoin(filters_, ", "), config_.qos);
    FinishStart(absl::OkStatus());
  }
}

void MqttSession::OnDisconnect(int reason) {
  counters_.disconnects.fetch_add(1, std::memory_order_relaxed);
  connected_.store(false, std::memory_order_relaxed);
  mosquitto_log_callback_set(mosq_, &OnLogCb);
  if (reason == 0) {
    spdlog::info("mqtt: disconnected from {}", broker());
  } else {
    spdlog::warn("mqtt: connection to {} lost: {}", broker(),
                 DescribeError(reason));
  }
}

void MqttSession::OnMessage(const mosquitto_message& message) {
  counters_.received.fetch_add(1, std::memory_order_relaxed);
  const absl::string_view topic(message.topic);
  if (stop_.stopped()) {
    Abandon(topic);
    return;
  }
  const absl::string_view payload(static_cast<const char*>(message.payload),
                                  static_cast<size_t>(message.payloadlen));
  if (!handler_(topic, payload)) {
    Abandon(topic);
    return;
  }
  // QoS 1 queued a PUBACK before this callback; Abandon queues a
  // DISCONNECT. Both need the full loop turn.
  read_more_ = message.qos == 0 && !stop_.stopped();
}

void MqttSession::Abandon(absl::string_view topic) {
  // Called inside on_message. libmosquitto 2.0 queued this message's PUBACK
  // before calling us and writes its queue, in order, after we return; a
  // DISCONNECT queued now would go out behind that PUBACK. So the socket is
  // cut here (shutdown: the kernel sends nothing more, later writes fail
  // with EPIPE, SIGPIPE is ignored) and the broker keeps every unacknowledged
  // message for the session. mosquitto_disconnect first marks the client as
  // disconnecting, so libmosquitto treats the failure as our own exit, not
  // as a lost connection to reconnect.
  mosquitto_disconnect(mosq_);
  const int fd = mosquitto_socket(mosq_);
  if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
  counters_.abandoned_at_shutdown.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn(
      "mqtt: shutting down; left a message on '{}' unacknowledged for "
      "redelivery",
      EscapeForLog(topic, kMaxLoggedTopic));
}

}  // namespace streamgate
