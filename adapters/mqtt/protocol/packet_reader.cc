#include "adapters/mqtt/protocol/packet_reader.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/status_macros.h"

namespace streamgate {
namespace mqtt {
namespace {

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("malformed packet: ", what));
}

// Reads big-endian fields from a packet body; every read is bounds-checked
// and a failed read leaves ok() false for good.
class Cursor {
 public:
  explicit Cursor(absl::string_view data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t left() const { return data_.size() - pos_; }
  bool done() const { return pos_ == data_.size(); }

  uint8_t U8() {
    if (!Need(1)) return 0;
    return static_cast<uint8_t>(data_[pos_++]);
  }
  uint16_t U16() {
    if (!Need(2)) return 0;
    const uint16_t v =
        static_cast<uint16_t>((static_cast<uint8_t>(data_[pos_]) << 8) |
                              static_cast<uint8_t>(data_[pos_ + 1]));
    pos_ += 2;
    return v;
  }
  uint32_t U32() {
    const uint32_t hi = U16();
    return (hi << 16) | U16();
  }
  // Variable Byte Integer: at most 4 bytes.
  uint32_t Varint() {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      const uint8_t byte = U8();
      if (!ok_) return 0;
      value |= static_cast<uint32_t>(byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) return value;
    }
    ok_ = false;
    return 0;
  }
  absl::string_view Bytes(size_t n) {
    if (!Need(n)) return {};
    absl::string_view v = data_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  // Two-byte length, then that many bytes (UTF-8 string or binary data).
  absl::string_view LengthPrefixed() { return Bytes(U16()); }
  absl::string_view Rest() { return Bytes(left()); }

 private:
  bool Need(size_t n) {
    if (!ok_ || left() < n) {
      ok_ = false;
      return false;
    }
    return true;
  }

  absl::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// The MQTT 5 properties of a CONNACK, PUBLISH, SUBACK or DISCONNECT: every
// property is checked for its type and bounds; the ones the session uses
// are copied into `packet`.
absl::Status ReadProperties(Cursor& in, PacketType type, Packet* packet) {
  const uint32_t length = in.Varint();
  if (!in.ok() || length > in.left()) return Malformed("property length");
  Cursor props(in.Bytes(length));
  while (!props.done()) {
    const uint8_t id = props.U8();
    switch (id) {
      // Byte
      case 0x01:
      case 0x17:
      case 0x19:
      case 0x24:
      case 0x25:
      case 0x28:
      case 0x29:
      case 0x2A: {
        const uint8_t v = props.U8();
        if (id == 0x24 && type == PacketType::kConnack) packet->maximum_qos = v;
        break;
      }
      // Two-byte integer
      case 0x13:
      case 0x21:
      case 0x22:
      case 0x23: {
        const uint16_t v = props.U16();
        if (type == PacketType::kConnack && id == 0x21) {
          if (v == 0) return Malformed("receive maximum 0");
          packet->receive_maximum = v;
        }
        if (type == PacketType::kConnack && id == 0x13) {
          packet->server_keep_alive = v;
        }
        // A Topic Alias: the session allows none (Topic Alias Maximum 0).
        if (id == 0x23) return Malformed("topic alias not allowed");
        break;
      }
      // Four-byte integer
      case 0x02:
      case 0x11:
      case 0x18:
      case 0x27: {
        const uint32_t v = props.U32();
        if (type == PacketType::kConnack && id == 0x27) {
          if (v == 0) return Malformed("maximum packet size 0");
          packet->maximum_packet_size = v;
        }
        break;
      }
      // Variable Byte Integer (Subscription Identifier)
      case 0x0B:
        if (props.Varint() == 0 && props.ok()) {
          return Malformed("subscription identifier 0");
        }
        break;
      // UTF-8 string
      case 0x03:
      case 0x08:
      case 0x12:
      case 0x15:
      case 0x1A:
      case 0x1C:
      case 0x1F: {
        const absl::string_view v = props.LengthPrefixed();
        if (id == 0x12 && type == PacketType::kConnack) {
          packet->assigned_client_id = v;
        }
        if (id == 0x1F) packet->reason_string = v;
        break;
      }
      // Binary data
      case 0x09:
      case 0x16:
        props.LengthPrefixed();
        break;
      // User property: string pair
      case 0x26:
        props.LengthPrefixed();
        props.LengthPrefixed();
        break;
      default:
        return Malformed(absl::StrCat("unknown property 0x",
                                      absl::Hex(id, absl::kZeroPad2)));
    }
    if (!props.ok()) return Malformed("truncated property");
  }
  return absl::OkStatus();
}

}  // namespace

size_t PacketReader::FramedSize(absl::string_view buffer) {
  uint32_t length = 0;
  for (size_t i = 1; i < buffer.size() && i <= 4; ++i) {
    const uint8_t byte = static_cast<uint8_t>(buffer[i]);
    length |= static_cast<uint32_t>(byte & 0x7f) << (7 * (i - 1));
    if ((byte & 0x80) == 0) return 1 + i + length;
  }
  return 0;
}

absl::StatusOr<size_t> PacketReader::Next(absl::string_view buffer,
                                          Packet* packet) const {
  if (buffer.size() < 2) return 0;
  uint32_t length = 0;
  size_t header = 0;
  for (size_t i = 1; i <= 4; ++i) {
    if (i >= buffer.size()) return 0;
    const uint8_t byte = static_cast<uint8_t>(buffer[i]);
    length |= static_cast<uint32_t>(byte & 0x7f) << (7 * (i - 1));
    if ((byte & 0x80) == 0) {
      header = i + 1;
      break;
    }
  }
  if (header == 0) return Malformed("remaining length over 4 bytes");
  const uint64_t size = static_cast<uint64_t>(header) + length;
  if (size > max_packet_bytes_) {
    return absl::OutOfRangeError(absl::StrCat(
        "packet of ", size, " bytes over the maximum of ", max_packet_bytes_));
  }
  if (buffer.size() < size) return 0;
  *packet = Packet();
  packet->size = static_cast<uint32_t>(size);
  const uint8_t first = static_cast<uint8_t>(buffer[0]);
  absl::Status st = DecodeBody(first, buffer.substr(header, length), packet);
  if (!st.ok()) return st;
  return static_cast<size_t>(size);
}

absl::Status PacketReader::DecodeBody(uint8_t first, absl::string_view body,
                                      Packet* packet) const {
  const uint8_t flags = first & 0x0f;
  const bool v5 = protocol_ == kProtocol5;
  Cursor in(body);
  switch (first >> 4) {
    case static_cast<uint8_t>(PacketType::kConnack): {
      packet->type = PacketType::kConnack;
      if (flags != 0) return Malformed("CONNACK flags");
      const uint8_t ack_flags = in.U8();
      if (ack_flags > 1) return Malformed("CONNACK acknowledge flags");
      packet->session_present = ack_flags == 1;
      packet->reason_code = in.U8();
      if (!in.ok()) return Malformed("short CONNACK");
      if (v5) RETURN_IF_ERROR(ReadProperties(in, packet->type, packet));
      break;
    }
    case static_cast<uint8_t>(PacketType::kPublish): {
      packet->type = PacketType::kPublish;
      packet->dup = (flags & 0x08) != 0;
      packet->qos = (flags >> 1) & 0x03;
      packet->retain = (flags & 0x01) != 0;
      if (packet->qos == 3) return Malformed("PUBLISH QoS 3");
      if (packet->qos == 0 && packet->dup) return Malformed("QoS 0 with DUP");
      packet->topic = in.LengthPrefixed();
      if (packet->qos > 0) {
        packet->packet_id = in.U16();
        if (in.ok() && packet->packet_id == 0) return Malformed("packet id 0");
      }
      if (!in.ok()) return Malformed("short PUBLISH");
      if (v5) RETURN_IF_ERROR(ReadProperties(in, packet->type, packet));
      // Wildcards are for filters, never in a topic name.
      if (packet->topic.empty()) return Malformed("PUBLISH topic");
      for (const char c : packet->topic) {
        if (c == '+' || c == '#' || c == '\0') {
          return Malformed("PUBLISH topic");
        }
      }
      packet->payload = in.Rest();
      return absl::OkStatus();
    }
    case static_cast<uint8_t>(PacketType::kPubrel): {
      packet->type = PacketType::kPubrel;
      if (flags != 0x02) return Malformed("PUBREL flags");
      packet->packet_id = in.U16();
      if (!in.ok() || packet->packet_id == 0) return Malformed("PUBREL id");
      // MQTT 5: an optional reason code and properties follow.
      if (v5 && !in.done()) {
        packet->reason_code = in.U8();
        if (!in.done()) {
          RETURN_IF_ERROR(ReadProperties(in, packet->type, packet));
        }
      }
      break;
    }
    case static_cast<uint8_t>(PacketType::kSuback): {
      packet->type = PacketType::kSuback;
      if (flags != 0) return Malformed("SUBACK flags");
      packet->packet_id = in.U16();
      if (!in.ok() || packet->packet_id == 0) return Malformed("SUBACK id");
      if (v5) RETURN_IF_ERROR(ReadProperties(in, packet->type, packet));
      packet->granted = in.Rest();
      if (packet->granted.empty()) return Malformed("SUBACK without codes");
      return absl::OkStatus();
    }
    case static_cast<uint8_t>(PacketType::kPingresp):
      packet->type = PacketType::kPingresp;
      if (flags != 0) return Malformed("PINGRESP flags");
      break;
    case static_cast<uint8_t>(PacketType::kDisconnect):
      packet->type = PacketType::kDisconnect;
      // A server never sends DISCONNECT in MQTT 3.1.1.
      if (!v5 || flags != 0) return Malformed("DISCONNECT from the broker");
      if (!in.done()) {
        packet->reason_code = in.U8();
        if (!in.done()) {
          RETURN_IF_ERROR(ReadProperties(in, packet->type, packet));
        }
      }
      break;
    default:
      return Malformed(absl::StrCat("packet type ", first >> 4,
                                    " is not sent to a subscriber"));
  }
  if (!in.ok() || !in.done()) return Malformed("packet length");
  return absl::OkStatus();
}

}  // namespace mqtt
}  // namespace streamgate
