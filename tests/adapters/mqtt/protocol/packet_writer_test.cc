// PacketWriter against byte vectors written out from the MQTT 3.1.1 and 5
// specifications.
#include "adapters/mqtt/protocol/packet_writer.h"

#include <string>

#include "gtest/gtest.h"

namespace streamgate {
namespace mqtt {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(PacketWriterTest, Connect311WithCredentials) {
  ConnectOptions o;
  o.protocol = kProtocol311;
  o.client_id = "gw";
  o.clean_start = false;
  o.keepalive_s = 60;
  o.username = "u";
  o.password = "p";
  o.session_expiry_s = 99;  // MQTT 5 only: not sent
  std::string out;
  PacketWriter::Connect(o, out);
  EXPECT_EQ(out, Bytes({0x10, 20, 0, 4,   'M', 'Q', 'T', 'T', 4, 0xc0, 0,
                        60,   0,  2, 'g', 'w', 0,   1,   'u', 0, 1,    'p'}));
}

TEST(PacketWriterTest, Connect5WithProperties) {
  ConnectOptions o;
  o.protocol = kProtocol5;
  o.client_id = "g";
  o.clean_start = true;
  o.keepalive_s = 5;
  o.session_expiry_s = 0x01020304;
  o.receive_maximum = 100;
  o.maximum_packet_size = 1024;
  std::string out;
  PacketWriter::Connect(o, out);
  EXPECT_EQ(out, Bytes({0x10, 27,   0,  4,    'M', 'Q', 'T', 'T', 5,    0x02,
                        0,    5,    13, 0x11, 1,   2,   3,   4,   0x21, 0,
                        100,  0x27, 0,  0,    4,   0,   0,   1,   'g'}));
}

TEST(PacketWriterTest, SubscribeBothFiltersInOnePacket) {
  std::string out;
  PacketWriter::Subscribe(kProtocol311, 7, {"a/+", "b"}, 1, out);
  EXPECT_EQ(out, Bytes({0x82, 12, 0, 7, 0, 3, 'a', '/', '+', 1, 0, 1, 'b', 1}));
  out.clear();
  PacketWriter::Subscribe(kProtocol5, 0x0102, {"t"}, 0, out);
  EXPECT_EQ(out, Bytes({0x82, 7, 1, 2, 0, 0, 1, 't', 0}));
}

TEST(PacketWriterTest, AcksPingAndDisconnect) {
  std::string out;
  PacketWriter::Ack(PacketType::kPuback, 0xabcd, out);
  PacketWriter::Ack(PacketType::kPubrec, 1, out);
  PacketWriter::Ack(PacketType::kPubcomp, 2, out);
  PacketWriter::Pingreq(out);
  PacketWriter::Disconnect(kProtocol311, kReasonPacketTooLarge, out);
  PacketWriter::Disconnect(kProtocol5, kReasonSuccess, out);
  PacketWriter::Disconnect(kProtocol5, kReasonPacketTooLarge, out);
  EXPECT_EQ(out, Bytes({0x40, 2, 0xab, 0xcd, 0x50, 2, 0,    1, 0x70, 2, 0, 2,
                        0xc0, 0, 0xe0, 0,    0xe0, 0, 0xe0, 1, 0x95}));
}

TEST(PacketWriterTest, VarintBoundaries) {
  const struct {
    uint32_t value;
    std::string bytes;
  } cases[] = {{0, Bytes({0})},
               {127, Bytes({0x7f})},
               {128, Bytes({0x80, 0x01})},
               {16383, Bytes({0xff, 0x7f})},
               {16384, Bytes({0x80, 0x80, 0x01})},
               {268435455, Bytes({0xff, 0xff, 0xff, 0x7f})}};
  for (const auto& c : cases) {
    std::string out;
    PacketWriter::AppendVarint(c.value, out);
    EXPECT_EQ(out, c.bytes) << c.value;
  }
}

}  // namespace
}  // namespace mqtt
}  // namespace streamgate
