#include "adapters/mqtt/protocol/packet_writer.h"

namespace streamgate {
namespace mqtt {
namespace {

// MQTT 5 property identifiers the session sends.
constexpr uint8_t kPropSessionExpiry = 0x11;
constexpr uint8_t kPropReceiveMaximum = 0x21;
constexpr uint8_t kPropMaximumPacketSize = 0x27;

void AppendU16(uint16_t v, std::string& out) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void AppendU32(uint32_t v, std::string& out) {
  AppendU16(static_cast<uint16_t>(v >> 16), out);
  AppendU16(static_cast<uint16_t>(v & 0xffff), out);
}

void AppendString(absl::string_view s, std::string& out) {
  AppendU16(static_cast<uint16_t>(s.size()), out);
  out.append(s.data(), s.size());
}

// Fixed header (type, flags, remaining length) then `body`.
void Frame(PacketType type, uint8_t flags, absl::string_view body,
           std::string& out) {
  out.push_back(static_cast<char>((static_cast<uint8_t>(type) << 4) | flags));
  PacketWriter::AppendVarint(static_cast<uint32_t>(body.size()), out);
  out.append(body.data(), body.size());
}

}  // namespace

void PacketWriter::AppendVarint(uint32_t value, std::string& out) {
  do {
    uint8_t byte = value & 0x7f;
    value >>= 7;
    if (value > 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (value > 0);
}

void PacketWriter::Connect(const ConnectOptions& o, std::string& out) {
  std::string body;
  AppendString("MQTT", body);
  body.push_back(static_cast<char>(o.protocol));
  uint8_t flags = 0;
  if (o.clean_start) flags |= 0x02;
  if (!o.username.empty()) flags |= 0x80;
  if (!o.password.empty()) flags |= 0x40;
  body.push_back(static_cast<char>(flags));
  AppendU16(o.keepalive_s, body);
  if (o.protocol == kProtocol5) {
    std::string props;
    if (o.session_expiry_s) {
      props.push_back(static_cast<char>(kPropSessionExpiry));
      AppendU32(*o.session_expiry_s, props);
    }
    if (o.receive_maximum) {
      props.push_back(static_cast<char>(kPropReceiveMaximum));
      AppendU16(*o.receive_maximum, props);
    }
    if (o.maximum_packet_size) {
      props.push_back(static_cast<char>(kPropMaximumPacketSize));
      AppendU32(*o.maximum_packet_size, props);
    }
    AppendVarint(static_cast<uint32_t>(props.size()), body);
    body += props;
  }
  AppendString(o.client_id, body);
  if (!o.username.empty()) AppendString(o.username, body);
  if (!o.password.empty()) AppendString(o.password, body);
  Frame(PacketType::kConnect, 0, body, out);
}

void PacketWriter::Subscribe(int protocol, uint16_t packet_id,
                             const std::vector<std::string>& filters,
                             uint8_t qos, std::string& out) {
  std::string body;
  AppendU16(packet_id, body);
  if (protocol == kProtocol5) body.push_back(0);  // no properties
  for (const std::string& filter : filters) {
    AppendString(filter, body);
    body.push_back(static_cast<char>(qos));
  }
  // SUBSCRIBE's reserved flags are 0010.
  Frame(PacketType::kSubscribe, 0x02, body, out);
}

void PacketWriter::Ack(PacketType type, uint16_t packet_id, std::string& out) {
  // PUBREL would need flags 0010; the session never sends it.
  out.push_back(static_cast<char>(static_cast<uint8_t>(type) << 4));
  out.push_back(2);
  AppendU16(packet_id, out);
}

void PacketWriter::Pingreq(std::string& out) {
  out.push_back(static_cast<char>(0xc0));
  out.push_back(0);
}

void PacketWriter::Disconnect(int protocol, uint8_t reason, std::string& out) {
  out.push_back(static_cast<char>(0xe0));
  if (protocol == kProtocol5 && reason != kReasonSuccess) {
    out.push_back(1);
    out.push_back(static_cast<char>(reason));
  } else {
    out.push_back(0);
  }
}

}  // namespace mqtt
}  // namespace streamgate
