// PacketWriter: encodes what the gateway's subscriber session sends to a
// broker (CONNECT, SUBSCRIBE, PUBACK, PUBREC, PUBCOMP, PINGREQ, DISCONNECT)
// in MQTT 3.1.1 or 5, appending the bytes to a string so many packets can
// go out in one write. Field limits (strings of at most 65535 bytes) are
// the caller's to respect: the config validates them.
//
// Threading: stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "adapters/mqtt/protocol/packet.h"

namespace streamgate {
namespace mqtt {

class PacketWriter {
 public:
  static void Connect(const ConnectOptions& options, std::string& out);
  // One packet for all `filters`, each at `qos` (no-local, retain flags 0).
  static void Subscribe(int protocol, uint16_t packet_id,
                        const std::vector<std::string>& filters, uint8_t qos,
                        std::string& out);
  // PUBACK, PUBREC and PUBCOMP with a success reason (the short form).
  static void Ack(PacketType type, uint16_t packet_id, std::string& out);
  static void Pingreq(std::string& out);
  // MQTT 5 sends `reason`; 3.1.1 has no reason code.
  static void Disconnect(int protocol, uint8_t reason, std::string& out);

  // The Variable Byte Integer of `value` (< 268435456) appended to `out`.
  static void AppendVarint(uint32_t value, std::string& out);
};

}  // namespace mqtt
}  // namespace streamgate
