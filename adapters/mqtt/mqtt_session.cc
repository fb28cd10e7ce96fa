#include "adapters/mqtt/mqtt_session.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/mqtt/protocol/packet_writer.h"
#include "adapters/mqtt/topic.h"
#include "gateway/common/log_text.h"
#include "gateway/common/status_macros.h"
#include "spdlog/spdlog.h"

namespace streamgate {
namespace {

using mqtt::Packet;
using mqtt::PacketType;
using mqtt::PacketWriter;

// The read buffer's usual size: a read takes up to this much (hundreds of
// small PUBLISHes). It grows to hold one larger packet, up to the maximum
// packet size, and shrinks back once that is handled.
constexpr size_t kReadChunk = 64 * 1024;

}  // namespace

MqttSession::MqttSession(const MqttConfig& config, StopSignal& stop,
                         MqttCounters& counters, BatchHandler handler)
    : config_(config),
      stop_(stop),
      counters_(counters),
      handler_(std::move(handler)),
      filters_(SubscriptionFilters(config)),
      protocol_(config.protocol == 5 ? mqtt::kProtocol5 : mqtt::kProtocol311),
      reader_(protocol_, config.max_packet_bytes),
      backoff_(config.reconnect_min_ms, config.reconnect_max_ms),
      linger_(absl::Microseconds(config.read_linger_us)) {}

MqttSession::~MqttSession() {
  Shutdown(absl::Now() + absl::Seconds(2));
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

absl::Status MqttSession::Start() {
  if (started_.exchange(true)) {
    return absl::FailedPreconditionError("mqtt: adapter already started");
  }
  if (config_.tls) {
    ASSIGN_OR_RETURN(tls_, TlsContext::Create(*config_.tls));
  }
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    return absl::InternalError(
        absl::StrCat("mqtt: eventfd: ", std::strerror(errno)));
  }
  loop_ = std::thread([this] { LoopThread(); });

  absl::Status status;
  {
    absl::MutexLock lock(&mu_);
    auto decided = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return start_state_ != StartState::kPending;
    };
    mu_.Await(absl::Condition(&decided));
    if (start_state_ != StartState::kFailed) return absl::OkStatus();
    status = start_status_;
  }
  Shutdown(absl::Now() + absl::Seconds(2));
  return status;
}

void MqttSession::Wake() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  // Only fails when the counter is saturated, which still wakes the poll.
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
}

void MqttSession::StopAccepting() {
  if (!stop_.Stop()) return;
  Wake();
}

void MqttSession::Shutdown(absl::Time deadline) {
  StopAccepting();
  if (!loop_.joinable()) return;
  {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithDeadline(absl::Condition(&loop_done_), deadline);
  }
  // Past the deadline (a broker that never takes our DISCONNECT): leave at
  // the next loop turn and drop the socket.
  force_exit_.store(true);
  Wake();
  loop_.join();
}

absl::Status MqttSession::Send(BrokerConnection& conn,
                               absl::string_view bytes) {
  // A broker that takes nothing for a keepalive period is gone.
  RETURN_IF_ERROR(conn.Write(bytes, absl::Now() + keepalive_));
  last_send_ = absl::Now();
  return absl::OkStatus();
}

void MqttSession::SayGoodbye(BrokerConnection& conn, uint8_t reason) {
  std::string bye;
  PacketWriter::Disconnect(protocol_, reason, bye);
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  if (!conn.Write(bye, deadline).ok()) return;
  // The broker closes the connection once it has read our DISCONNECT, and
  // so every PUBACK before it. A next connection with this client id made
  // earlier could take the session over before those PUBACKs are read,
  // and the broker would send those messages again.
  conn.WaitForClose(deadline);
}

absl::Status MqttSession::RunConnection() {
  const absl::Time deadline =
      absl::Now() + absl::Milliseconds(config_.connect_timeout_ms);
  ASSIGN_OR_RETURN(
      std::unique_ptr<BrokerConnection> conn,
      BrokerConnection::Open(config_.host, config_.port, tls_.get(), deadline));
  in_.resize(kReadChunk);
  in_used_ = 0;
  subscribed_ = false;
  ping_outstanding_ = false;
  connection_error_ = absl::OkStatus();
  keepalive_ = absl::Seconds(config_.keepalive_s);

  absl::Status result = Handshake(*conn, deadline);
  while (result.ok()) {
    if (force_exit_.load(std::memory_order_relaxed)) break;
    if (stop_.stopped()) {
      SayGoodbye(*conn, mqtt::kReasonSuccess);
      break;
    }
    const absl::Time now = absl::Now();
    if (!subscribed_ && now >= deadline) {
      result = absl::DeadlineExceededError(
          absl::StrCat("mqtt: no SUBACK from ", broker(), " within ",
                       config_.connect_timeout_ms, " ms"));
      break;
    }
    if (ping_outstanding_ && now - ping_sent_ > keepalive_) {
      result = absl::UnavailableError(absl::StrCat(
          "mqtt: no PINGRESP from ", broker(), " within the keepalive"));
      break;
    }
    // Something must reach the broker within every keepalive period.
    if (!ping_outstanding_ && now - last_send_ >= keepalive_ / 2) {
      std::string ping;
      PacketWriter::Pingreq(ping);
      result = Send(*conn, ping);
      if (!result.ok()) break;
      ping_outstanding_ = true;
      ping_sent_ = now;
      counters_.pings.fetch_add(1, std::memory_order_relaxed);
    }
    absl::Duration wait = ping_outstanding_ ? ping_sent_ + keepalive_ - now
                                            : last_send_ + keepalive_ / 2 - now;
    if (!subscribed_) wait = std::min(wait, deadline - now);
    wait = std::clamp(wait, absl::Milliseconds(1), absl::Seconds(1));
    bool idle = false;
    result = ReadAndHandle(*conn, wait, &idle);
  }
  if (connected_.exchange(false)) {
    counters_.disconnects.fetch_add(1, std::memory_order_relaxed);
    if (result.ok()) {
      spdlog::info("mqtt: disconnected from {}", broker());
    } else {
      spdlog::warn("mqtt: connection to {} ended: {}", broker(),
                   std::string(result.message()));
    }
  }
  if (in_.size() > kReadChunk) std::string().swap(in_);
  return result;
}

absl::Status MqttSession::ReadAndHandle(BrokerConnection& conn,
                                        absl::Duration timeout, bool* idle) {
  const bool buffered = timeout == absl::ZeroDuration() && in_used_ > 0;
  lingered_ = false;
  if (!buffered) {
    // Under steady traffic, sleep and then read what arrived meanwhile,
    // without a poll (and its wake-up) in between: see ReadLinger.
    if (!linger_.SleepInsteadOfPoll(absl::Now(), in_used_)) {
      ASSIGN_OR_RETURN(auto ready, conn.WaitReadable(wake_fd_, timeout));
      if (ready != BrokerConnection::Ready::kReadable) {
        *idle = true;
        return absl::OkStatus();
      }
    }
    lingered_ = linger_.Steady(absl::Now(), in_used_);
    if (lingered_ && stop_.SleepFor(linger_.linger())) {
      *idle = true;  // the loop says goodbye
      return absl::OkStatus();
    }
    ASSIGN_OR_RETURN(size_t n,
                     conn.Read(&in_[in_used_], in_.size() - in_used_));
    linger_.OnRead(absl::Now(), n > 0);
    if (n == 0) {
      *idle = true;
      return absl::OkStatus();
    }
    socket_reads_.fetch_add(1, std::memory_order_relaxed);
    in_used_ += n;
  }
  batch_.clear();
  deliveries_.clear();
  out_.clear();
  size_t pos = 0;
  while (pos < in_used_) {
    Packet packet;
    auto next = reader_.Next(
        absl::string_view(in_.data() + pos, in_used_ - pos), &packet);
    if (!next.ok()) {
      SayGoodbye(conn, next.status().code() == absl::StatusCode::kOutOfRange
                           ? mqtt::kReasonPacketTooLarge
                           : mqtt::kReasonMalformedPacket);
      return absl::UnavailableError(
          absl::StrCat("mqtt: broker ", broker(),
                       " sent a bad packet: ", next.status().message()));
    }
    if (*next == 0) break;
    pos += *next;
    RETURN_IF_ERROR(HandlePacket(packet));
  }
  if (lingered_) NoteLingeredBatch();
  if (!deliveries_.empty()) {
    RETURN_IF_ERROR(DispatchBatch(conn));
  } else if (!out_.empty()) {
    RETURN_IF_ERROR(Send(conn, out_));
  }
  // Keep the partial packet at the front, with room for all of it.
  std::memmove(&in_[0], &in_[pos], in_used_ - pos);
  in_used_ -= pos;
  const size_t need =
      mqtt::PacketReader::FramedSize(absl::string_view(in_.data(), in_used_));
  if (need > in_.size()) {
    in_.resize(need);
  } else if (in_used_ == 0 && in_.size() > kReadChunk) {
    in_.resize(kReadChunk);
    in_.shrink_to_fit();
  }
  return absl::OkStatus();
}

void MqttSession::NoteLingeredBatch() {
  size_t acked = 0;
  for (const Delivery& d : deliveries_) acked += d.qos > 0 ? 1 : 0;
  if (linger_.OnLingeredBatch(acked, absl::Now())) {
    counters_.linger_pauses.fetch_add(1, std::memory_order_relaxed);
  }
}

absl::Status MqttSession::HandlePacket(const Packet& packet) {
  switch (packet.type) {
    case PacketType::kPublish:
      if (packet.qos == 2 && awaiting_release_.contains(packet.packet_id)) {
        // Delivered before; the broker missed our PUBREC.
        deliveries_.push_back({2, packet.packet_id, false});
        return absl::OkStatus();
      }
      batch_.push_back({packet.topic, packet.payload});
      deliveries_.push_back({packet.qos, packet.packet_id, true});
      return absl::OkStatus();
    case PacketType::kPubrel:
      awaiting_release_.erase(packet.packet_id);
      PacketWriter::Ack(PacketType::kPubcomp, packet.packet_id, out_);
      return absl::OkStatus();
    case PacketType::kPingresp:
      ping_outstanding_ = false;
      return absl::OkStatus();
    case PacketType::kSuback:
      return OnSuback(packet);
    case PacketType::kDisconnect:
      return absl::UnavailableError(absl::StrCat(
          "mqtt: broker ", broker(),
          " disconnected us: ", ConnackText(protocol_, packet.reason_code),
          packet.reason_string.empty() ? "" : " (",
          EscapeForLog(packet.reason_string, kMaxLoggedText),
          packet.reason_string.empty() ? "" : ")"));
    default:
      return absl::UnavailableError(absl::StrCat(
          "mqtt: broker ", broker(), " sent an unexpected packet (type ",
          static_cast<int>(packet.type), ")"));
  }
}

absl::Status MqttSession::DispatchBatch(BrokerConnection& conn) {
  size_t unacked = 0;
  for (const Delivery& d : deliveries_) unacked += d.qos > 0 ? 1 : 0;
  if (protocol_ == mqtt::kProtocol5 && unacked > config_.receive_maximum) {
    SayGoodbye(conn, mqtt::kReasonReceiveMaximumExceeded);
    return absl::UnavailableError(
        absl::StrCat("mqtt: broker ", broker(), " sent ", unacked,
                     " unacknowledged messages, over the Receive Maximum of ",
                     config_.receive_maximum));
  }
  BatchResult result;
  if (!batch_.empty()) {
    counters_.batches.fetch_add(1, std::memory_order_relaxed);
    if (stop_.stopped()) {
      result.stop = BatchResult::Stop::kStopping;  // none taken
    } else {
      result = handler_(batch_);
    }
    // Counted once handled, so a count someone waited for is settled.
    counters_.received.fetch_add(batch_.size(), std::memory_order_relaxed);
  }
  // Acknowledge, in arrival order, up to the first unsettled message.
  size_t handed = 0;
  for (const Delivery& d : deliveries_) {
    if (d.handed_over) {
      if (handed == result.settled && result.stop != BatchResult::Stop::kNone) {
        break;
      }
      ++handed;
    }
    if (d.qos == 1) {
      PacketWriter::Ack(PacketType::kPuback, d.packet_id, out_);
    } else if (d.qos == 2) {
      awaiting_release_.insert(d.packet_id);
      PacketWriter::Ack(PacketType::kPubrec, d.packet_id, out_);
    }
  }
  if (!out_.empty()) RETURN_IF_ERROR(Send(conn, out_));
  if (result.stop == BatchResult::Stop::kNone) return absl::OkStatus();
  const size_t left = batch_.size() - result.settled;
  if (result.stop == BatchResult::Stop::kStopping) {
    counters_.abandoned_at_shutdown.fetch_add(left, std::memory_order_relaxed);
    spdlog::warn(
        "mqtt: shutting down; left {} message(s) unacknowledged for "
        "redelivery",
        left);
    return absl::OkStatus();  // the loop says goodbye
  }
  SayGoodbye(conn, mqtt::kReasonSuccess);
  return absl::UnavailableError(absl::StrCat(
      "a module's spool refused the commit; ", left,
      " message(s) left unacknowledged for the broker to redeliver"));
}

}  // namespace streamgate
