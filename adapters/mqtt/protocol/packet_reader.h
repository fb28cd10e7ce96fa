// PacketReader: decodes the packets a broker sends to a subscriber (CONNACK,
// PUBLISH, PUBREL, SUBACK, PINGRESP and, in MQTT 5, DISCONNECT) from a
// buffer that may hold many packets and a partial one at its end. It never
// reads past the buffer, never allocates, and refuses a packet larger than
// its maximum before waiting for its bytes, so a hostile broker cannot make
// the session buffer more than that.
//
// Threading: immutable after construction; Next is thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/mqtt/protocol/packet.h"

namespace streamgate {
namespace mqtt {

class PacketReader {
 public:
  // `protocol` is kProtocol311 or kProtocol5; `max_packet_bytes` bounds a
  // whole packet (MQTT 5's Maximum Packet Size).
  PacketReader(int protocol, uint32_t max_packet_bytes)
      : protocol_(protocol), max_packet_bytes_(max_packet_bytes) {}

  // Decodes the packet at the start of `buffer` into `*packet` and returns
  // its size in bytes; 0 when the buffer holds only part of it. Errors:
  // OUT_OF_RANGE for a packet over the maximum, INVALID_ARGUMENT for a
  // malformed packet or one a broker must not send to a client. After an
  // error the stream cannot be resynchronized: close the connection.
  absl::StatusOr<size_t> Next(absl::string_view buffer, Packet* packet) const;

  // How many bytes the packet at the start of `buffer` takes, once its
  // fixed header is complete (0 before); for sizing the read buffer.
  static size_t FramedSize(absl::string_view buffer);

 private:
  absl::Status DecodeBody(uint8_t first, absl::string_view body,
                          Packet* packet) const;

  const int protocol_;
  const uint32_t max_packet_bytes_;
};

}  // namespace mqtt
}  // namespace streamgate
