// Door rejects: the JSON line format (exact bytes, clipping, bad UTF-8) and
// the config section. (The gRPC adapter's DeadLetteringIngest is tested in
// tests/adapters/grpc/.)
#include "gateway/core/door_rejects.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gateway/core/config.h"
#include "gateway/core/dead_letter_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/common/dead_letter_test_util.h"

namespace streamgate {
namespace {

// The top-level sections the built-in adapters own.
const std::vector<std::string> kTestAdapterSections = {"grpc", "api_keys", "mqtt"};

using ::streamgate::testing::Lines;
using ::streamgate::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::StartsWith;

const absl::Time kNoon = absl::FromUnixMillis(1714564800500);  // 2024-05-01

TEST(FormatDoorRejectTest, MqttLine) {
  DoorReject r;
  r.source = "mqtt";
  r.reason = "eventData: must be an object";
  r.topic = "/devices/7/event";
  r.device = 7;
  r.data = "{\"x\":1}";
  EXPECT_EQ(FormatDoorReject(r, kNoon, 1 << 20),
            R"({"time":"2024-05-01T12:00:00.500Z","source":"mqtt",)"
            R"("reason":"eventData: must be an object",)"
            R"("topic":"/devices/7/event","device":7,"bytes":7,)"
            R"("data":"eyJ4IjoxfQ=="})");
}

TEST(FormatDoorRejectTest, GrpcLineHasRpcAndBinaryData) {
  DoorReject r;
  r.source = "grpc";
  r.reason = "label: must not be empty";
  r.rpc = "bulk_data";
  r.data = absl::string_view("\x00\xff\x80", 3);
  EXPECT_EQ(FormatDoorReject(r, kNoon, 1 << 20),
            R"({"time":"2024-05-01T12:00:00.500Z","source":"grpc",)"
            R"("reason":"label: must not be empty","rpc":"bulk_data",)"
            R"("bytes":3,"data":"AP+A"})");
}

TEST(FormatDoorRejectTest, TextIsEscapedAndBadUtf8Replaced) {
  DoorReject r;
  r.source = "mqtt";
  r.reason = "bad \"quote\"\n\xC3(";
  r.topic = "/devices/\xff/event";
  const std::string line = FormatDoorReject(r, kNoon, 1 << 20);
  EXPECT_THAT(line, HasSubstr(R"("reason":"bad \"quote\"\n)"
                              "\xEF\xBF\xBD("
                              R"(")"));
  EXPECT_THAT(line, HasSubstr("\"topic\":\"/devices/\xEF\xBF\xBD/event\""));
  EXPECT_THAT(line, HasSubstr(R"("bytes":0,"data":""})"));
}

TEST(FormatDoorRejectTest, ClipsDataToTheLineBound) {
  std::string data(10000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  DoorReject r;
  r.source = "grpc";
  r.reason = "records[0]: too big";
  r.rpc = "bulk_data";
  r.data = data;
  const std::string line = FormatDoorReject(r, kNoon, 4095);
  EXPECT_LE(line.size(), 4095u);
  EXPECT_GT(line.size(), 4000u);  // uses the room it has
  EXPECT_TRUE(absl::EndsWith(line, R"(","truncated":true})")) << line;
  EXPECT_THAT(line, HasSubstr(R"("bytes":10000,)"));
  const size_t start = line.find("\"data\":\"") + 8;
  std::string decoded;
  ASSERT_TRUE(absl::Base64Unescape(
      line.substr(start, line.find('"', start) - start), &decoded));
  EXPECT_GT(decoded.size(), 2900u);
  EXPECT_EQ(decoded, data.substr(0, decoded.size()));
}

TEST(DoorDeadLettersTest, CountsBySourceWithoutAFile) {
  DoorDeadLetters d(nullptr);
  DoorReject r;
  r.source = "mqtt";
  d.Rejected(r);
  d.Rejected(r);
  r.source = "grpc";
  d.Rejected(r);
  EXPECT_EQ(d.counters().mqtt.load(), 2u);
  EXPECT_EQ(d.counters().grpc.load(), 1u);
}

TEST(DeadLetterConfigTest, RootSection) {
  auto c = ParseConfig(R"(
dead_letter: {path: /tmp/x/dl.jsonl, max_bytes: 8192, keep: 5}
modules: [{id: m, subscribe_events: ["*"], sink: {type: stdout}}]
)", "t.yaml", kTestAdapterSections);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->dead_letter.has_value());
  EXPECT_EQ(c->dead_letter->path, "/tmp/x/dl.jsonl");
  EXPECT_EQ(c->dead_letter->max_bytes, 8192);
  EXPECT_EQ(c->dead_letter->keep, 5);
  auto none = ParseConfig(
      "modules: [{id: m, subscribe_events: ['*'], sink: {type: stdout}}]", "t", kTestAdapterSections);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->dead_letter.has_value());
}

TEST(DeadLetterConfigTest, ErrorsNameTheFieldAndLine) {
  auto error = [](const std::string& section) {
    return std::string(ParseDeadLetterOptions(YAML::Load(section)).status().message());
  };
  EXPECT_THAT(error("{max_bytes: 8192}"), StartsWith("dead_letter.path"));
  EXPECT_THAT(error("{path: a, max_bytes: 100}"),
              StartsWith("dead_letter.max_bytes (line 1)"));
  EXPECT_THAT(error("{path: a, keep: 101}"),
              StartsWith("dead_letter.keep (line 1)"));
  EXPECT_THAT(error("{path: a, kep: 1}"), StartsWith("dead_letter.kep (line 1)"));
  EXPECT_THAT(error("[a]"), StartsWith("dead_letter"));
  auto root = ParseConfig(R"(
modules: [{id: m, subscribe_events: ["*"], sink: {type: stdout}}]
dead_letter:
  path: x
  keep: -1
)", "t.yaml", kTestAdapterSections);
  EXPECT_THAT(std::string(root.status().message()),
              HasSubstr("dead_letter.keep (line 5)"));
}

}  // namespace
}  // namespace streamgate
