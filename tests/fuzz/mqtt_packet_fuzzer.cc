// Fuzz target: the MQTT packet decoder of the gateway's subscriber session
// (adapters/mqtt/protocol/packet_reader.h), fed what a hostile broker could
// send. The first input byte picks the protocol (bit 0: 3.1.1 or 5) and
// the maximum packet size (bits 1..3: 16 bytes .. 2 MiB); the rest is a
// byte stream decoded packet after packet, as the session does.
//
// Invariants checked:
//  - a decoded packet takes at least 2 and at most the buffer's bytes, no
//    more than the maximum, and its size is what FramedSize says;
//  - every view it returns (topic, payload, SUBACK codes, strings) lies
//    inside that packet's bytes;
//  - decoding is a function of the packet's own bytes: the packet alone
//    decodes to the same fields, and the packet minus its last byte asks
//    for more instead of decoding or failing;
//  - PUBLISH fields are in range (QoS 0..2, a packet id iff QoS > 0, a
//    non-empty topic without wildcards).
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "adapters/mqtt/protocol/packet_reader.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using streamgate::mqtt::Packet;
using streamgate::mqtt::PacketReader;
using streamgate::mqtt::PacketType;

bool Inside(absl::string_view view, absl::string_view whole) {
  if (view.empty()) return true;
  return view.data() >= whole.data() &&
         view.data() + view.size() <= whole.data() + whole.size();
}

bool SameFields(const Packet& a, const Packet& b) {
  return a.type == b.type && a.size == b.size && a.topic == b.topic &&
         a.payload == b.payload && a.qos == b.qos && a.dup == b.dup &&
         a.retain == b.retain && a.packet_id == b.packet_id &&
         a.session_present == b.session_present &&
         a.reason_code == b.reason_code &&
         a.receive_maximum == b.receive_maximum &&
         a.maximum_packet_size == b.maximum_packet_size &&
         a.granted == b.granted && a.reason_string == b.reason_string;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int protocol = (data[0] & 1) ? streamgate::mqtt::kProtocol5
                                     : streamgate::mqtt::kProtocol311;
  const uint32_t max_bytes = 16u << (((data[0] >> 1) & 7) * 2);
  const PacketReader reader(protocol, max_bytes);
  absl::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  while (!rest.empty()) {
    Packet packet;
    auto n = reader.Next(rest, &packet);
    if (!n.ok()) break;
    if (*n == 0) break;
    FUZZ_CHECK(*n >= 2 && *n <= rest.size(), "packet inside the buffer");
    FUZZ_CHECK(*n <= max_bytes, "packet within the maximum");
    FUZZ_CHECK(packet.size == *n, "size field matches");
    FUZZ_CHECK(PacketReader::FramedSize(rest) == *n, "FramedSize agrees");
    const absl::string_view whole = rest.substr(0, *n);
    FUZZ_CHECK(Inside(packet.topic, whole) && Inside(packet.payload, whole) &&
                   Inside(packet.granted, whole) &&
                   Inside(packet.reason_string, whole) &&
                   Inside(packet.assigned_client_id, whole),
               "views inside the packet");
    if (packet.type == PacketType::kPublish) {
      FUZZ_CHECK(packet.qos <= 2, "QoS in range");
      FUZZ_CHECK((packet.packet_id != 0) == (packet.qos > 0),
                 "packet id iff QoS > 0");
      FUZZ_CHECK(!packet.topic.empty() && packet.topic.find_first_of("+#") ==
                                              absl::string_view::npos,
                 "topic name without wildcards");
    }
    Packet alone;
    auto again = reader.Next(whole, &alone);
    FUZZ_CHECK(again.ok() && *again == *n && SameFields(packet, alone),
               "the packet alone decodes the same");
    auto shorter = reader.Next(whole.substr(0, *n - 1), &alone);
    FUZZ_CHECK(shorter.ok() && *shorter == 0,
               "a packet minus its last byte asks for more");
    rest.remove_prefix(*n);
  }
  return 0;
}
