// MQTT control packets as the gateway's subscriber session sees them
// (MQTT 3.1.1 and 5): the packet types, the fields the session reads from
// what a broker sends, and the options of what it sends. Plain values;
// string views point into the buffer the packet was decoded from.
//
// Threading: plain data, no synchronization.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace streamgate {
namespace mqtt {

// Protocol levels as sent in CONNECT.
constexpr int kProtocol311 = 4;
constexpr int kProtocol5 = 5;

enum class PacketType : uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

// MQTT 5 reason codes the session sends or interprets.
constexpr uint8_t kReasonSuccess = 0x00;
constexpr uint8_t kReasonMalformedPacket = 0x81;
constexpr uint8_t kReasonProtocolError = 0x82;
constexpr uint8_t kReasonPacketTooLarge = 0x95;
constexpr uint8_t kReasonReceiveMaximumExceeded = 0x93;

// One packet from the broker. Only the fields of its type are set.
struct Packet {
  PacketType type = PacketType::kPingresp;
  uint32_t size = 0;  // whole packet: fixed header + remaining length

  // PUBLISH
  absl::string_view topic;
  absl::string_view payload;
  uint8_t qos = 0;
  bool dup = false;
  bool retain = false;
  // PUBLISH (QoS > 0), PUBREL, SUBACK
  uint16_t packet_id = 0;

  // CONNACK (reason_code is the 3.1.1 return code there), DISCONNECT (5)
  bool session_present = false;
  uint8_t reason_code = 0;
  // CONNACK properties (MQTT 5)
  absl::optional<uint16_t> receive_maximum;
  absl::optional<uint32_t> maximum_packet_size;
  absl::optional<uint8_t> maximum_qos;
  absl::optional<uint16_t> server_keep_alive;
  absl::string_view assigned_client_id;
  // CONNACK, SUBACK, DISCONNECT (MQTT 5): for the log
  absl::string_view reason_string;

  // SUBACK: one granted QoS (0..2) or failure code (>= 0x80) per filter.
  absl::string_view granted;
};

struct ConnectOptions {
  int protocol = kProtocol5;
  std::string client_id;
  bool clean_start = false;
  uint16_t keepalive_s = 60;
  std::string username;  // empty: none
  std::string password;  // empty: none
  // MQTT 5 properties (not sent at 3.1.1).
  absl::optional<uint32_t> session_expiry_s;
  absl::optional<uint16_t> receive_maximum;
  absl::optional<uint32_t> maximum_packet_size;
};

}  // namespace mqtt
}  // namespace streamgate
