// MqttSession, connecting: the loop thread's (re)connect attempts and the
// start-up verdict, CONNECT/CONNACK and SUBSCRIBE/SUBACK (see
// mqtt_session.h). The read/dispatch/ack loop is in mqtt_session.cc.
#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "adapters/mqtt/mqtt_session.h"
#include "adapters/mqtt/protocol/packet_writer.h"
#include "gateway/common/log_text.h"
#include "gateway/common/status_macros.h"
#include "spdlog/spdlog.h"

namespace streamgate {
namespace {

using mqtt::Packet;
using mqtt::PacketType;
using mqtt::PacketWriter;

// The one SUBSCRIBE's packet id.
constexpr uint16_t kSubscribeId = 1;

// Worth another attempt at start-up: the network, not a refusal.
bool Retryable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

}  // namespace

std::string MqttSession::ConnackText(int protocol, uint8_t code) {
  if (protocol == mqtt::kProtocol311) {
    switch (code) {
      case 1:
        return "unacceptable protocol version";
      case 2:
        return "identifier rejected";
      case 3:
        return "server unavailable";
      case 4:
        return "bad user name or password";
      case 5:
        return "not authorized";
    }
    return absl::StrCat("return code ", code);
  }
  switch (code) {
    case 0x84:
      return "unsupported protocol version";
    case 0x85:
      return "client identifier not valid";
    case 0x86:
      return "bad user name or password";
    case 0x87:
      return "not authorized";
    case 0x88:
      return "server unavailable";
    case 0x89:
      return "server busy";
    case 0x8A:
      return "banned";
    case 0x95:
      return "packet too large";
    case 0x97:
      return "quota exceeded";
  }
  return absl::StrCat("reason code 0x", absl::Hex(code, absl::kZeroPad2));
}

void MqttSession::FinishStart(StartState state, absl::Status status) {
  absl::MutexLock lock(&mu_);
  if (start_state_ != StartState::kPending) return;
  start_state_ = state;
  start_status_ = std::move(status);
}

void MqttSession::LoopThread() {
  const absl::Time start_deadline =
      config_.start_timeout_ms
          ? absl::Now() + absl::Milliseconds(*config_.start_timeout_ms)
          : absl::InfiniteFuture();
  while (!stop_.stopped() && !force_exit_.load()) {
    const absl::Status status = RunConnection();
    if (stop_.stopped() || force_exit_.load()) break;
    bool starting;
    {
      absl::MutexLock lock(&mu_);
      starting = start_state_ == StartState::kPending;
    }
    if (starting) {
      if (!Retryable(status)) {
        FinishStart(StartState::kFailed, status);
        break;
      }
      if (absl::Now() >= start_deadline) {
        FinishStart(StartState::kFailed,
                    absl::UnavailableError(absl::StrCat(
                        status.message(), " (gave up after start_timeout_ms ",
                        *config_.start_timeout_ms, ")")));
        break;
      }
      if (!config_.start_timeout_ms) {
        spdlog::warn(
            "mqtt: broker {} not reachable at start-up; starting without it "
            "and retrying",
            broker());
        FinishStart(StartState::kRetrying, absl::OkStatus());
      }
    }
    const absl::Duration delay = backoff_.Next();
    spdlog::warn("mqtt: no connection to {}: {}; reconnecting in {}", broker(),
                 std::string(status.message()), absl::FormatDuration(delay));
    stop_.SleepFor(delay);
  }
  absl::MutexLock lock(&mu_);
  loop_done_ = true;
}

absl::Status MqttSession::Handshake(BrokerConnection& conn,
                                    absl::Time deadline) {
  mqtt::ConnectOptions o;
  o.protocol = protocol_;
  o.client_id = config_.client_id;
  o.clean_start = config_.clean_session;
  o.keepalive_s = static_cast<uint16_t>(config_.keepalive_s);
  o.username = config_.username;
  o.password = config_.password;
  if (protocol_ == mqtt::kProtocol5) {
    o.maximum_packet_size = config_.max_packet_bytes;
    o.receive_maximum = config_.receive_maximum;
    // Without a Session Expiry Interval an MQTT 5 broker ends the session at
    // disconnect and the messages queued for us are lost.
    if (!config_.clean_session) o.session_expiry_s = config_.session_expiry_s;
  }
  std::string connect;
  PacketWriter::Connect(o, connect);
  RETURN_IF_ERROR(Send(conn, connect));

  Packet connack;
  size_t used = 0;
  while (used == 0) {
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("mqtt: no CONNACK from ", broker(), " within ",
                       config_.connect_timeout_ms, " ms"));
    }
    ASSIGN_OR_RETURN(auto ready,
                     conn.WaitReadable(
                         wake_fd_, std::min(deadline - now, absl::Seconds(1))));
    if (ready == BrokerConnection::Ready::kWoken) {
      if (stop_.stopped() || force_exit_.load()) return absl::OkStatus();
      continue;
    }
    if (ready == BrokerConnection::Ready::kTimeout) continue;
    ASSIGN_OR_RETURN(size_t n,
                     conn.Read(&in_[in_used_], in_.size() - in_used_));
    in_used_ += n;
    auto next = reader_.Next(absl::string_view(in_.data(), in_used_), &connack);
    if (!next.ok()) {
      return absl::UnavailableError(
          absl::StrCat("mqtt: broker ", broker(),
                       " sent a bad CONNACK: ", next.status().message()));
    }
    used = *next;
  }
  if (connack.type != PacketType::kConnack) {
    return absl::UnavailableError(absl::StrCat(
        "mqtt: broker ", broker(), " did not answer CONNECT with CONNACK"));
  }
  if (connack.reason_code != 0) {
    std::string text = ConnackText(protocol_, connack.reason_code);
    if (!connack.reason_string.empty()) {
      absl::StrAppend(&text, " (",
                      EscapeForLog(connack.reason_string, kMaxLoggedText), ")");
    }
    spdlog::error("mqtt: broker {} refused the connection: {}", broker(), text);
    return absl::PermissionDeniedError(absl::StrCat(
        "mqtt: broker ", broker(), " refused the connection: ", text));
  }
  std::memmove(&in_[0], &in_[used], in_used_ - used);
  in_used_ -= used;
  if (connack.server_keep_alive) {
    keepalive_ = absl::Seconds(std::max<int>(*connack.server_keep_alive, 1));
  }
  if (!connack.session_present) awaiting_release_.clear();
  backoff_.Reset();
  counters_.connects.fetch_add(1, std::memory_order_relaxed);
  connected_.store(true, std::memory_order_relaxed);
  spdlog::info("mqtt: connected to {} as '{}' (session present: {})", broker(),
               config_.client_id, connack.session_present ? "yes" : "no");
  // Subscribe on every CONNACK: a clean or expired session has none.
  std::string subscribe;
  PacketWriter::Subscribe(protocol_, kSubscribeId, filters_,
                          static_cast<uint8_t>(config_.qos), subscribe);
  RETURN_IF_ERROR(Send(conn, subscribe));
  // A session present may have sent PUBLISHes right behind the CONNACK.
  bool idle = false;
  return in_used_ > 0 ? ReadAndHandle(conn, absl::ZeroDuration(), &idle)
                      : absl::OkStatus();
}

absl::Status MqttSession::OnSuback(const Packet& packet) {
  if (packet.packet_id != kSubscribeId || subscribed_) return absl::OkStatus();
  if (packet.granted.size() != filters_.size()) {
    return absl::UnavailableError(
        absl::StrCat("mqtt: broker ", broker(), " answered ", filters_.size(),
                     " subscriptions with ", packet.granted.size(), " codes"));
  }
  for (size_t i = 0; i < filters_.size(); ++i) {
    const uint8_t granted = static_cast<uint8_t>(packet.granted[i]);
    // Granted QoS 0..2; 0x80 and up is a refusal (e.g. the broker's ACL).
    if (granted >= 0x80) {
      const std::string text = absl::StrCat(
          "mqtt: broker ", broker(), " refused the subscription '", filters_[i],
          "': ",
          protocol_ == mqtt::kProtocol5 ? ConnackText(protocol_, granted)
                                        : std::string("failure"));
      spdlog::error("{}", text);
      return absl::PermissionDeniedError(text);
    }
    if (granted < config_.qos) {
      spdlog::warn("mqtt: broker {} granted QoS {} instead of {} for '{}'",
                   broker(), granted, config_.qos, filters_[i]);
    }
  }
  subscribed_ = true;
  counters_.subscribed.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("mqtt: subscribed to {} at QoS {}",
               absl::StrJoin(filters_, ", "), config_.qos);
  FinishStart(StartState::kReady, absl::OkStatus());
  return absl::OkStatus();
}

}  // namespace streamgate
