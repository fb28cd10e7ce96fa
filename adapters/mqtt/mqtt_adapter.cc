#include "adapters/mqtt/mqtt_adapter.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/mqtt/topic.h"
#include "gateway/api/metrics_writer.h"
#include "spdlog/spdlog.h"

namespace streamgate {
namespace {

// Longest topic text quoted in a log line (topics may be 64 KiB).
constexpr size_t kMaxLoggedTopic = 200;
// Backpressure retry sleeps grow from 1 ms to this.
constexpr int64_t kMaxBackpressureSleepMs = 50;
// QoS 0 PUBLISHes read back to back before the next mosquitto_loop turn
// (select, keepalive, queued writes, exit flags).
constexpr int kMaxReadBurst = 64;

void InitLibraryOnce() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

// spdlog (fmt) formats std::string_view, not absl::string_view.
std::string_view Sv(absl::string_view s) { return {s.data(), s.size()}; }

std::string_view Clip(absl::string_view topic) {
  return Sv(topic.substr(0, kMaxLoggedTopic));
}

}  // namespace

MqttAdapter::MqttAdapter(MqttConfig config, Ingest& ingest,
                         DoorRejects& rejects)
    : config_(std::move(config)),
      ingest_(ingest),
      rejects_(rejects),
      rng_(std::random_device{}()) {
  const std::string prefix =
      config_.shared_group.empty()
          ? std::string()
          : absl::StrCat("$share/", config_.shared_group, "/");
  filters_.push_back(absl::StrCat(prefix, kEventTopicFilter));
  filters_.push_back(absl::StrCat(prefix, kBulkTopicFilter));
  backoff_ms_ = config_.reconnect_min_ms;
}

MqttAdapter::~MqttAdapter() {
  Shutdown(absl::Now() + absl::Seconds(2));
  if (mosq_ != nullptr) mosquitto_destroy(mosq_);
  mosquitto_property_free_all(&connect_props_);
}

std::string MqttAdapter::broker() const {
  return absl::StrCat(config_.host, ":", config_.port);
}

absl::Status MqttAdapter::Start() {
  if (started_.exchange(true)) {
    return absl::FailedPreconditionError("mqtt: adapter already started");
  }
  InitLibraryOnce();
  mosq_ = mosquitto_new(config_.client_id.empty() ? nullptr
                                                  : config_.client_id.c_str(),
                        config_.clean_session, this);
  if (mosq_ == nullptr) {
    return absl::InternalError(
        absl::StrCat("mqtt: mosquitto_new failed: ", std::strerror(errno)));
  }
  auto fail = [&](absl::string_view what, int rc) {
    return absl::InvalidArgumentError(
        absl::StrCat("mqtt: ", what, ": ", mosquitto_strerror(rc)));
  };
  int rc = mosquitto_int_option(
      mosq_, MOSQ_OPT_PROTOCOL_VERSION,
      config_.protocol == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
  if (rc != MOSQ_ERR_SUCCESS) return fail("protocol", rc);
  // Threaded mode: the PUBACK is written after on_message returns.
  mosquitto_threaded_set(mosq_, true);
  mosquitto_int_option(mosq_, MOSQ_OPT_TCP_NODELAY, 1);
  if (!config_.username.empty()) {
    rc = mosquitto_username_pw_set(
        mosq_, config_.username.c_str(),
        config_.password.empty() ? nullptr : config_.password.c_str());
    if (rc != MOSQ_ERR_SUCCESS) return fail("username", rc);
  }
  if (config_.tls) {
    const MqttTlsConfig& tls = *config_.tls;
    rc = mosquitto_tls_set(
        mosq_, tls.ca_file.c_str(), nullptr,
        tls.cert_file.empty() ? nullptr : tls.cert_file.c_str(),
        tls.key_file.empty() ? nullptr : tls.key_file.c_str(), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return fail("tls", rc);
    rc = mosquitto_tls_opts_set(mosq_, tls.verify ? 1 : 0, nullptr, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) return fail("tls", rc);
    if (!tls.verify) mosquitto_tls_insecure_set(mosq_, true);
  }
  if (config_.protocol == 5) {
    mosquitto_property_add_int32(&connect_props_, MQTT_PROP_MAXIMUM_PACKET_SIZE,
                                 config_.max_packet_bytes);
  }
  if (config_.protocol == 5 && !config_.clean_session) {
    // Without a Session Expiry Interval an MQTT 5 broker ends the session at
    // disconnect and the messages queued for us are lost.
    mosquitto_property_add_int32(&connect_props_,
                                 MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                 config_.session_expiry_s);
  }
  mosquitto_connect_v5_callback_set(mosq_, &OnConnectCb);
  mosquitto_disconnect_v5_callback_set(mosq_, &OnDisconnectCb);
  mosquitto_subscribe_v5_callback_set(mosq_, &OnSubscribeCb);
  mosquitto_message_v5_callback_set(mosq_, &OnMessageCb);

  accepting_.store(true);
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

void MqttAdapter::StopAccepting() {
  if (stop_notified_.exchange(true)) return;
  accepting_.store(false);
  loop_exit_.store(true);
  stop_accepting_.Notify();
  if (mosq_ != nullptr) {
    // Stop reading: queue a DISCONNECT (the session and its subscriptions
    // stay at the broker). A no-op when not connected.
    mosquitto_disconnect(mosq_);
  }
}

void MqttAdapter::Shutdown(absl::Time deadline) {
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

absl::Duration MqttAdapter::NextBackoff() {
  // "Equal jitter": half the current backoff plus a random part of the rest,
  // so many gateways restarted together do not reconnect in lockstep.
  const int64_t current = backoff_ms_;
  backoff_ms_ = std::min(config_.reconnect_max_ms, backoff_ms_ * 2);
  std::uniform_int_distribution<int64_t> jitter(0, current / 2);
  return absl::Milliseconds(current - current / 2 + jitter(rng_));
}

void MqttAdapter::FinishStart(absl::Status status) {
  absl::MutexLock lock(&mu_);
  if (start_state_ != StartState::kPending) return;
  start_state_ = status.ok() ? StartState::kReady : StartState::kFailed;
  start_status_ = std::move(status);
}

std::string MqttAdapter::DescribeError(int rc) {
  std::string text = rc == MOSQ_ERR_ERRNO
                         ? std::string(std::strerror(errno))
                         : std::string(mosquitto_strerror(rc));
  absl::MutexLock lock(&mu_);
  if (!last_error_log_.empty()) {
    absl::StrAppend(&text, " (libmosquitto: ", last_error_log_, ")");
  }
  return text;
}

int MqttAdapter::ConnectOnce(bool first) {
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
                                     connect_props_);
  }
  return mosquitto_reconnect(mosq_);
}

int MqttAdapter::LoopBuffered() {
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

void MqttAdapter::LoopThread() {
  // libmosquitto's TLS reads go through OpenSSL's own buffering.
  const bool buffer_reads = !config_.tls.has_value();
  if (buffer_reads) read_buffer_.Install();
  bool first = true;
  while (!loop_exit_.load() && !force_exit_.load()) {
    int rc = ConnectOnce(first);
    first = false;
    if (rc == MOSQ_ERR_SUCCESS) {
      read_buffer_.Reset(buffer_reads ? mosquitto_socket(mosq_) : -1);
      // One packet per turn: larger max_packets values burn CPU in empty
      // write attempts. The 1 s timeout bounds how late a forced exit is.
      bool disconnect_queued = false;
      while (!force_exit_.load(std::memory_order_relaxed)) {
        if (!disconnect_queued && loop_exit_.load(std::memory_order_relaxed)) {
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
    if (loop_exit_.load() || force_exit_.load()) break;
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
    const absl::Duration delay = NextBackoff();
    spdlog::warn("mqtt: no connection to {}: {}; reconnecting in {}", broker(),
                 why, absl::FormatDuration(delay));
    stop_accepting_.WaitForNotificationWithTimeout(delay);
  }
  read_buffer_.Reset(-1);
  read_buffer_.Uninstall();
  absl::MutexLock lock(&mu_);
  loop_done_ = true;
}

void MqttAdapter::OnConnectCb(mosquitto*, void* self, int reason, int flags,
                              const mosquitto_property*) {
  static_cast<MqttAdapter*>(self)->OnConnect(reason, flags);
}
void MqttAdapter::OnDisconnectCb(mosquitto*, void* self, int reason,
                                 const mosquitto_property*) {
  static_cast<MqttAdapter*>(self)->OnDisconnect(reason);
}
void MqttAdapter::OnSubscribeCb(mosquitto*, void* self, int mid, int count,
                                const int* granted, const mosquitto_property*) {
  static_cast<MqttAdapter*>(self)->OnSubscribe(mid, count, granted);
}
void MqttAdapter::OnMessageCb(mosquitto*, void* self,
                              const mosquitto_message* message,
                              const mosquitto_property*) {
  static_cast<MqttAdapter*>(self)->OnMessage(*message);
}
void MqttAdapter::OnLogCb(mosquitto*, void* self, int level, const char* text) {
  if ((level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)) == 0) return;
  auto* adapter = static_cast<MqttAdapter*>(self);
  absl::MutexLock lock(&adapter->mu_);
  if (!adapter->last_error_log_.empty()) {
    absl::StrAppend(&adapter->last_error_log_, "; ");
  }
  absl::StrAppend(&adapter->last_error_log_, text);
}

void MqttAdapter::OnConnect(int reason, int flags) {
  if (reason != 0) {
    const char* text = config_.protocol == 5 ? mosquitto_reason_string(reason)
                                             : mosquitto_connack_string(reason);
    spdlog::error("mqtt: broker {} refused the connection: {}", broker(), text);
    FinishStart(absl::PermissionDeniedError(absl::StrCat(
        "mqtt: broker ", broker(), " refused the connection: ", text)));
    return;
  }
  mosquitto_log_callback_set(mosq_, nullptr);
  backoff_ms_ = config_.reconnect_min_ms;
  counters_.connects.fetch_add(1, std::memory_order_relaxed);
  connected_.store(true, std::memory_order_relaxed);
  const bool session_present = (flags & 1) != 0;
  spdlog::info("mqtt: connected to {} as '{}' (session present: {})",
               broker(), config_.client_id, session_present ? "yes" : "no");
  // Subscribe on every CONNACK: a clean or expired session has none.
  pending_subacks_.clear();
  for (const std::string& filter : filters_) {
    int mid = 0;
    const int rc = mosquitto_subscribe_v5(mosq_, &mid, filter.c_str(),
                                          config_.qos, 0, nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      spdlog::error("mqtt: subscribing to '{}' failed: {}", filter,
                    mosquitto_strerror(rc));
      FinishStart(absl::UnavailableError(absl::StrCat(
          "mqtt: subscribing to '", filter, "' failed: ", mosquitto_strerror(rc))));
      continue;
    }
    pending_subacks_.push_back(mid);
  }
}

void MqttAdapter::OnSubscribe(int mid, int count, const int* granted) {
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
    spdlog::info("mqtt: subscribed to {} and {} at QoS {}", filters_[0],
                 filters_[1], config_.qos);
    FinishStart(absl::OkStatus());
  }
}

void MqttAdapter::OnDisconnect(int reason) {
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

void MqttAdapter::OnMessage(const mosquitto_message& message) {
  counters_.received.fetch_add(1, std::memory_order_relaxed);
  const absl::string_view topic(message.topic);
  if (!accepting_.load(std::memory_order_acquire)) {
    Abandon(topic);
    return;
  }
  const absl::string_view payload(static_cast<const char*>(message.payload),
                                 static_cast<size_t>(message.payloadlen));
  auto parsed = ParseDeviceTopic(topic);
  if (!parsed.ok()) {
    Reject(counters_.rejected_bad_topic, 0, topic, parsed.status().message(),
           payload);
    return;
  }
  if (parsed->kind == DeviceTopic::Kind::kEvent) {
    HandleEvent(topic, parsed->device_id, payload);
  } else {
    HandleBulk(topic, parsed->device_id, parsed->label, payload);
  }
  // QoS 1 queued a PUBACK before this callback; Abandon (which returns
  // before this) queues a DISCONNECT. Both need the full loop turn.
  read_more_ = message.qos == 0 && accepting_.load(std::memory_order_relaxed);
}

void MqttAdapter::Abandon(absl::string_view topic) {
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
      Clip(topic));
}

void MqttAdapter::Reject(MqttCounters::Counter& counter, int64_t device_id,
                         absl::string_view topic, absl::string_view reason,
                         absl::string_view payload) {
  counter.fetch_add(1, std::memory_order_relaxed);
  DoorReject dead;
  dead.source = "mqtt";
  dead.reason = reason;
  dead.topic = topic;
  if (device_id > 0) dead.device = device_id;
  dead.data = payload;
  rejects_.Rejected(dead);
  if (device_id > 0) {
    spdlog::error("mqtt: rejected message from device {} on '{}': {}",
                  device_id, Clip(topic), Sv(reason));
  } else {
    spdlog::error("mqtt: rejected message from device ? on '{}': {}",
                  Clip(topic), Sv(reason));
  }
}

template <typename Fn>
bool MqttAdapter::PublishWithBackpressure(Fn publish, absl::Status* status) {
  int64_t sleep_ms = 1;
  bool waited = false;
  while (true) {
    *status = publish();
    const absl::StatusCode code = status->code();
    if (code != absl::StatusCode::kResourceExhausted &&
        code != absl::StatusCode::kUnavailable) {
      break;
    }
    if (!waited) {
      waited = true;
      counters_.backpressure_waits.fetch_add(1, std::memory_order_relaxed);
      if (stall_started_ == absl::InfinitePast()) {
        stall_started_ = absl::Now();
        spdlog::warn("mqtt: gateway full ({}); pausing intake from {}",
                     Sv(status->message()), broker());
      }
    }
    if (!accepting_.load(std::memory_order_acquire)) return false;
    stop_accepting_.WaitForNotificationWithTimeout(absl::Milliseconds(sleep_ms));
    sleep_ms = std::min(sleep_ms * 2, kMaxBackpressureSleepMs);
  }
  if (stall_started_ != absl::InfinitePast()) {
    spdlog::info("mqtt: room again after {}; intake resumed",
                 absl::FormatDuration(absl::Now() - stall_started_));
    stall_started_ = absl::InfinitePast();
  }
  return true;
}

void MqttAdapter::HandleEvent(absl::string_view topic, int64_t device_id,
                              absl::string_view payload) {
  EventInput event;
  const absl::optional<int64_t> home = ingest_.DeviceHome(device_id);
  if (!home) {
    if (!config_.default_home_id) {
      Reject(counters_.rejected_unknown_device, device_id, topic,
             "device is not in the registry and no default_home_id is set",
             payload);
      return;
    }
    event.home_id = *config_.default_home_id;
  }
  EventRejection why = EventRejection::kNone;
  absl::StatusOr<EventPayload> parsed = event_parser_.Parse(payload, &why);
  if (!parsed.ok()) {
    MqttCounters::Counter* counter = &counters_.failed_other;
    switch (why) {
      case EventRejection::kInvalidJson:
        counter = &counters_.rejected_invalid_json;
        break;
      case EventRejection::kNotObject:
        counter = &counters_.rejected_not_object;
        break;
      case EventRejection::kEventType:
        counter = &counters_.rejected_event_type;
        break;
      case EventRejection::kEventData:
        counter = &counters_.rejected_event_data;
        break;
      case EventRejection::kNone:
        break;
    }
    Reject(*counter, device_id, topic, parsed.status().message(), payload);
    return;
  }
  event.event_type = parsed->event_type;
  event.data_json = parsed->data_json;
  event.origin_device_id = device_id;
  absl::Status status;
  if (!PublishWithBackpressure(
          [&] {
            return ingest_.PublishEvents(absl::MakeConstSpan(&event, 1),
                                         Caller{});
          },
          &status)) {
    Abandon(topic);
    return;
  }
  if (status.ok()) {
    counters_.events_accepted.fetch_add(1, std::memory_order_relaxed);
  } else if (status.code() == absl::StatusCode::kInvalidArgument) {
    Reject(counters_.rejected_event_by_ingest, device_id, topic,
           status.message(), payload);
  } else {
    Reject(counters_.failed_other, device_id, topic, status.ToString(),
           payload);
  }
}

void MqttAdapter::HandleBulk(absl::string_view topic, int64_t device_id,
                             absl::string_view label, absl::string_view payload) {
  if (!ingest_.DeviceHome(device_id) && !config_.default_home_id) {
    Reject(counters_.rejected_unknown_device, device_id, topic,
           "device is not in the registry and no default_home_id is set",
           payload);
    return;
  }
  BulkInput bulk;
  bulk.device_id = device_id;
  bulk.label = label;
  bulk.msgpack_payload = payload;
  absl::Status status;
  if (!PublishWithBackpressure(
          [&] { return ingest_.PublishBulk(bulk, Caller{}); }, &status)) {
    Abandon(topic);
    return;
  }
  if (status.ok()) {
    counters_.bulk_accepted.fetch_add(1, std::memory_order_relaxed);
  } else if (status.code() == absl::StatusCode::kInvalidArgument) {
    Reject(counters_.rejected_bulk_by_ingest, device_id, topic,
           status.message(), payload);
  } else {
    Reject(counters_.failed_other, device_id, topic, status.ToString(),
           payload);
  }
}

void MqttAdapter::CollectMetrics(metrics::MetricsWriter& out) const {
  auto load = [](const MqttCounters::Counter& v) {
    return static_cast<double>(v.load(std::memory_order_relaxed));
  };
  const MqttCounters& c = counters_;
  out.Counter("streamgate_mqtt_messages_received_total",
              "MQTT PUBLISH messages handed to the adapter.", {},
              load(c.received));
  const char* kAcceptedHelp = "MQTT messages ingest accepted, by kind.";
  out.Counter("streamgate_mqtt_messages_accepted_total", kAcceptedHelp,
              {{"kind", "event"}}, load(c.events_accepted));
  out.Counter("streamgate_mqtt_messages_accepted_total", kAcceptedHelp,
              {{"kind", "bulk"}}, load(c.bulk_accepted));
  const char* kRejectedHelp =
      "MQTT messages rejected (logged and acknowledged), by reason.";
  const std::pair<const char*, const MqttCounters::Counter*> rejected[] = {
      {"bad_topic", &c.rejected_bad_topic},
      {"unknown_device", &c.rejected_unknown_device},
      {"invalid_json", &c.rejected_invalid_json},
      {"not_object", &c.rejected_not_object},
      {"event_type", &c.rejected_event_type},
      {"event_data", &c.rejected_event_data},
      {"event_by_ingest", &c.rejected_event_by_ingest},
      {"bulk_by_ingest", &c.rejected_bulk_by_ingest},
      {"other", &c.failed_other}};
  for (const auto& [reason, value] : rejected) {
    out.Counter("streamgate_mqtt_messages_rejected_total", kRejectedHelp,
                {{"reason", reason}}, load(*value));
  }
  out.Counter("streamgate_mqtt_backpressure_waits_total",
              "MQTT messages that found the gateway full and waited.", {},
              load(c.backpressure_waits));
  out.Counter("streamgate_mqtt_abandoned_at_shutdown_total",
              "MQTT messages left unacknowledged at shutdown (redelivered).",
              {}, load(c.abandoned_at_shutdown));
  out.Counter("streamgate_mqtt_connects_total",
              "Successful MQTT connections (CONNACK accepted).", {},
              load(c.connects));
  out.Counter("streamgate_mqtt_disconnects_total",
              "MQTT disconnections, clean or lost.", {}, load(c.disconnects));
  out.Counter("streamgate_mqtt_socket_reads_total",
              "read(2) calls on the broker socket (buffered: one serves "
              "many packets).",
              {}, static_cast<double>(read_buffer_.kernel_reads()));
  out.Gauge("streamgate_mqtt_connected",
            "1 while connected to the broker, else 0.", {},
            connected_.load(std::memory_order_relaxed) ? 1 : 0);
}

}  // namespace streamgate
