// The `mqtt:` section of the gateway config (issue 4). Parsing reads it with
// ConfigReader (gateway/api/config_reader.h), so booleans, integers and
// unknown keys are worded as in every other section; errors read
// "mqtt.<field> (line N): reason". It validates every field up front and
// reads password_file, but opens no connection, so `--check-config` can use
// it too. Secrets never appear in an error message.
// Plain values and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"
#include "adapters/mqtt/topic_mapping.h"
#include "gateway/api/config_reader.h"

namespace streamgate {

struct MqttTlsConfig {
  std::string ca_file;
  std::string cert_file;  // client certificate; with key_file, or neither
  std::string key_file;
  bool verify = true;  // broker certificate and host name
};

struct MqttConfig {
  std::string host;
  int port = 1883;        // 8883 when tls is set and no port is given
  std::string client_id;  // required unless clean_session is true
  std::string username;
  std::string password;  // from `password` or `password_file`
  int protocol = 5;      // MQTT_PROTOCOL_V5 or MQTT_PROTOCOL_V311 (4)
  int qos = 1;
  int keepalive_s = 60;
  bool clean_session = false;  // false: the broker queues while we are away
  // MQTT 5 Session Expiry Interval sent when clean_session is false: how long
  // the broker keeps the queue of a gateway that does not come back.
  uint32_t session_expiry_s = 7 * 24 * 3600;
  std::string shared_group;  // non-empty: subscribe via $share/{group}/
  absl::optional<MqttTlsConfig> tls;
  // The home of devices the registry does not know; unset: they are refused.
  absl::optional<int64_t> default_home_id;
  // Reconnect backoff: doubles from min to max, with jitter.
  int64_t reconnect_min_ms = 250;
  int64_t reconnect_max_ms = 30000;
  // How long one connection attempt may take (TCP, TLS, CONNACK, SUBACK).
  int64_t connect_timeout_ms = 10000;
  // How long start-up keeps retrying a broker it cannot reach before the
  // gateway gives up; unset: start without it and retry forever.
  absl::optional<int64_t> start_timeout_ms;
  // MQTT 5 Receive Maximum sent in CONNECT: the most unacknowledged QoS 1/2
  // messages the broker may have in flight to us.
  uint16_t receive_maximum = 65535;
  // While messages keep coming, each read of the broker socket first waits
  // this long so that it takes a larger batch: fewer wake-ups, system
  // calls and PUBACK writes per message, at up to this much added latency.
  // 0: read as soon as anything arrives.
  int64_t read_linger_us = 1000;
  // MQTT 5: the Maximum Packet Size sent in CONNECT; the broker must not
  // send us a larger packet (mosquitto drops such a message for this
  // client and logs it). Bounds the memory one message can take. MQTT
  // 3.1.1 has no such field: only the broker's message_size_limit bounds it.
  uint32_t max_packet_bytes = 8 << 20;
  // MODE's /devices/... topics (spec 1.3); false: only `mappings`.
  bool mode_topics = true;
  std::vector<TopicMapping> mappings;  // adapters/mqtt/topic_mapping.h

  // "host:port", for log lines and errors.
  std::string broker() const { return absl::StrCat(host, ":", port); }
};

// Validates the `mqtt` section (its reader's path is "mqtt") and reads
// password_file.
absl::StatusOr<MqttConfig> ParseMqttConfig(const ConfigReader& mqtt);

// The filters to subscribe to: MODE's two (unless mode_topics is false),
// then each mapping's, all behind $share/{group}/ when shared_group is set.
std::vector<std::string> SubscriptionFilters(const MqttConfig& config);

}  // namespace streamgate
