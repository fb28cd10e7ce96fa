// PacketReader on byte vectors: every packet a broker sends a subscriber,
// many packets in one buffer, partial packets, the size bound, and
// malformed input.
#include "adapters/mqtt/protocol/packet_reader.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace mqtt {
namespace {

using ::testing::HasSubstr;

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

// A QoS 1 PUBLISH (3.1.1) of `payload` on topic "t/1" with id `id`.
std::string Publish311(uint16_t id, const std::string& payload) {
  std::string out = Bytes({0x32, static_cast<int>(7 + payload.size()), 0, 3,
                           't', '/', '1', id >> 8, id & 0xff});
  return out + payload;
}

TEST(PacketReaderTest, ManyPacketsAndAPartialOneInOneBuffer) {
  const PacketReader reader(kProtocol311, 1024);
  std::string buffer = Publish311(1, "a") + Publish311(2, "bc") +
                       Bytes({0x30, 6, 0, 3, 'x', '/', 'y', 'z'}) +
                       Bytes({0xd0, 0}) + Publish311(3, "def");
  buffer.pop_back();  // the last packet is incomplete
  std::vector<Packet> packets;
  absl::string_view rest = buffer;
  while (true) {
    Packet p;
    auto n = reader.Next(rest, &p);
    ASSERT_TRUE(n.ok()) << n.status();
    if (*n == 0) break;
    packets.push_back(p);
    rest.remove_prefix(*n);
  }
  ASSERT_EQ(packets.size(), 4u);
  EXPECT_EQ(packets[0].type, PacketType::kPublish);
  EXPECT_EQ(packets[0].qos, 1);
  EXPECT_EQ(packets[0].packet_id, 1);
  EXPECT_EQ(packets[0].topic, "t/1");
  EXPECT_EQ(packets[0].payload, "a");
  EXPECT_EQ(packets[1].payload, "bc");
  EXPECT_EQ(packets[2].qos, 0);
  EXPECT_EQ(packets[2].topic, "x/y");
  EXPECT_EQ(packets[2].payload, "z");
  EXPECT_EQ(packets[3].type, PacketType::kPingresp);
  EXPECT_EQ(rest.size(), Publish311(3, "def").size() - 1);
  EXPECT_EQ(PacketReader::FramedSize(rest), rest.size() + 1);
}

TEST(PacketReaderTest, EveryPrefixOfAPacketNeedsMore) {
  const PacketReader reader(kProtocol5, 1024);
  // QoS 1, retain, id 9, a Payload Format Indicator property, "pay".
  const std::string packet =
      Bytes({0x33, 11, 0, 1, 'a', 0, 9, 2, 0x01, 1, 'p', 'a', 'y'});
  for (size_t i = 0; i < packet.size(); ++i) {
    Packet p;
    auto n = reader.Next(absl::string_view(packet).substr(0, i), &p);
    ASSERT_TRUE(n.ok()) << i;
    EXPECT_EQ(*n, 0u) << i;
  }
  Packet p;
  auto n = reader.Next(packet, &p);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, packet.size());
  EXPECT_TRUE(p.retain);
  EXPECT_EQ(p.packet_id, 9);
  EXPECT_EQ(p.topic, "a");
  EXPECT_EQ(p.payload, "pay");
}

TEST(PacketReaderTest, Connack5WithProperties) {
  const PacketReader reader(kProtocol5, 1024);
  const std::string packet =
      Bytes({0x20, 18, 1, 0,    15, 0x21, 0, 20, 0x27, 0,
             1,    0,  0, 0x24, 1,  0x12, 0, 2,  'i',  'd'});
  Packet p;
  auto n = reader.Next(packet, &p);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, packet.size());
  EXPECT_EQ(p.type, PacketType::kConnack);
  EXPECT_TRUE(p.session_present);
  EXPECT_EQ(p.reason_code, 0);
  EXPECT_EQ(p.receive_maximum, 20);
  EXPECT_EQ(p.maximum_packet_size, 65536u);
  EXPECT_EQ(p.maximum_qos, 1);
  EXPECT_EQ(p.assigned_client_id, "id");
}

TEST(PacketReaderTest, Connack311Refusal) {
  const PacketReader reader(kProtocol311, 1024);
  Packet p;
  auto n = reader.Next(Bytes({0x20, 2, 0, 5}), &p);
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(p.session_present);
  EXPECT_EQ(p.reason_code, 5);
}

TEST(PacketReaderTest, SubackPubrelAndDisconnect) {
  const PacketReader reader(kProtocol5, 1024);
  Packet p;
  // The packet's views point into these buffers: they must outlive them.
  const std::string suback = Bytes({0x90, 5, 0, 7, 0, 1, 0x87});
  ASSERT_TRUE(reader.Next(suback, &p).ok());
  EXPECT_EQ(p.type, PacketType::kSuback);
  EXPECT_EQ(p.packet_id, 7);
  EXPECT_EQ(p.granted, Bytes({1, 0x87}));
  const std::string pubrel = Bytes({0x62, 2, 0, 4});
  ASSERT_TRUE(reader.Next(pubrel, &p).ok());
  EXPECT_EQ(p.type, PacketType::kPubrel);
  EXPECT_EQ(p.packet_id, 4);
  const std::string disconnect = Bytes({0xe0, 6, 0x8b, 4, 0x1f, 0, 1, 'x'});
  ASSERT_TRUE(reader.Next(disconnect, &p).ok());
  EXPECT_EQ(p.type, PacketType::kDisconnect);
  EXPECT_EQ(p.reason_code, 0x8b);
  EXPECT_EQ(p.reason_string, "x");
}

TEST(PacketReaderTest, RefusesAPacketOverTheMaximumBeforeItArrives) {
  const PacketReader reader(kProtocol311, 100);
  Packet p;
  // Only the fixed header of a 200-byte PUBLISH is there.
  auto n = reader.Next(Bytes({0x30, 0xc5, 0x01}), &p);
  EXPECT_EQ(n.status().code(), absl::StatusCode::kOutOfRange);
  // 100 bytes exactly is fine.
  std::string exact = Bytes({0x30, 98, 0, 1, 't'}) + std::string(95, 'x');
  n = reader.Next(exact, &p);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 100u);
}

TEST(PacketReaderTest, MalformedPackets) {
  const PacketReader v311(kProtocol311, 1 << 20);
  const PacketReader v5(kProtocol5, 1 << 20);
  const struct {
    const PacketReader* reader;
    std::string bytes;
    const char* why;
  } cases[] = {
      {&v311, Bytes({0x30, 0xff, 0xff, 0xff, 0xff, 0x01}), "remaining length"},
      {&v311, Bytes({0x36, 5, 0, 1, 't', 0, 1}), "QoS 3"},
      {&v311, Bytes({0x38, 3, 0, 1, 't'}), "DUP"},
      {&v311, Bytes({0x32, 5, 0, 1, 't', 0, 0}), "packet id 0"},
      {&v311, Bytes({0x30, 3, 0, 5, 't'}), "short PUBLISH"},
      {&v311, Bytes({0x30, 3, 0, 1, '#'}), "topic"},
      {&v311, Bytes({0x30, 2, 0, 0}), "topic"},
      {&v311, Bytes({0x20, 3, 0, 0, 0}), "packet length"},
      {&v311, Bytes({0x21, 2, 0, 0}), "CONNACK flags"},
      {&v311, Bytes({0xe0, 0}), "DISCONNECT"},
      {&v311, Bytes({0x10, 0}), "not sent to a subscriber"},
      {&v311, Bytes({0x60, 2, 0, 1}), "PUBREL flags"},
      {&v311, Bytes({0x90, 2, 0, 1}), "SUBACK without codes"},
      {&v5, Bytes({0x30, 5, 0, 1, 't', 1, 0x99}), "unknown property"},
      {&v5, Bytes({0x30, 7, 0, 1, 't', 3, 0x23, 0, 1}), "topic alias"},
      {&v5, Bytes({0x30, 5, 0, 1, 't', 9, 0}), "property length"},
      {&v5, Bytes({0x30, 6, 0, 1, 't', 2, 0x02, 0}), "truncated property"},
      {&v5, Bytes({0x20, 6, 0, 0, 3, 0x21, 0, 0}), "receive maximum 0"},
  };
  for (const auto& c : cases) {
    Packet p;
    auto n = c.reader->Next(c.bytes, &p);
    ASSERT_FALSE(n.ok()) << c.why;
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument) << c.why;
    EXPECT_THAT(std::string(n.status().message()), HasSubstr(c.why));
  }
}

}  // namespace
}  // namespace mqtt
}  // namespace streamgate
