// Door rejects: the JSON line format (exact bytes, clipping, bad UTF-8), the
// config section, and DeadLetteringIngest in front of the real Ingester
// writing what it refuses, with the raw bytes, to a real file.
#include "gateway/core/door_rejects.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gateway/core/config.h"
#include "gateway/core/dead_letter_config.h"
#include "gateway/core/dead_lettering_ingest.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "streamgate/v1/gateway.pb.h"
#include "tests/gateway/common/dead_letter_test_util.h"
#include "tests/gateway/core/test_pipeline.h"

namespace streamgate {
namespace {

using ::streamgate::testing::Lines;
using ::streamgate::testing::TempDir;
using ::streamgate::testing::TestPipeline;
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
)", "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(c->dead_letter.has_value());
  EXPECT_EQ(c->dead_letter->path, "/tmp/x/dl.jsonl");
  EXPECT_EQ(c->dead_letter->max_bytes, 8192);
  EXPECT_EQ(c->dead_letter->keep, 5);
  auto none = ParseConfig(
      "modules: [{id: m, subscribe_events: ['*'], sink: {type: stdout}}]", "t");
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
)", "t.yaml");
  EXPECT_THAT(std::string(root.status().message()),
              HasSubstr("dead_letter.keep (line 5)"));
}

constexpr char kRouting[] = R"(
limits: {max_record_bytes: 400}
devices: [{id: 42, home_id: 7, class: sensor}]
modules:
  - {id: all, subscribe_events: ["*"], bulk_data_label: "*", sink: {type: stdout}}
)";

// The real Ingester behind DeadLetteringIngest, writing to a real file.
class DeadLetteringIngestTest : public ::testing::Test {
 protected:
  DeadLetteringIngestTest()
      : pipeline_(kRouting),
        file_({dir_.file("dl.jsonl"), 1 << 20, 1}),
        door_(&file_),
        ingest_(pipeline_.ingester(), door_) {}

  std::vector<std::string> lines() { return Lines(dir_.file("dl.jsonl")); }

  // The base64 "data" of a line, decoded.
  static std::string Data(const std::string& line) {
    const size_t start = line.find("\"data\":\"") + 8;
    std::string out;
    EXPECT_TRUE(absl::Base64Unescape(
        line.substr(start, line.find('"', start) - start), &out));
    return out;
  }

  TempDir dir_;
  TestPipeline pipeline_;
  DeadLetterFile file_;
  DoorDeadLetters door_;
  DeadLetteringIngest ingest_;
};

TEST_F(DeadLetteringIngestTest, AcceptedInputWritesNothing) {
  EventInput e;
  e.event_type = "ok";
  e.origin_device_id = 42;
  ASSERT_TRUE(ingest_.PublishEvents(absl::MakeConstSpan(&e, 1), Caller{}).ok());
  EXPECT_THAT(lines(), SizeIs(0));
  EXPECT_EQ(door_.counters().grpc.load(), 0u);
}

TEST_F(DeadLetteringIngestTest, TheOffendingEventOfABatchWithItsBytes) {
  google::protobuf::Struct data;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(R"({"t":21.5})", &data)
                  .ok());
  std::vector<EventInput> events(3);
  for (auto& e : events) {
    e.event_type = "reading";
    e.origin_device_id = 42;
  }
  events[1].origin_device_id = -5;
  events[1].data_struct = &data;
  events[1].timestamp = absl::FromUnixMillis(1700000000250);
  absl::Status st = ingest_.PublishEvents(events, Caller{});
  ASSERT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  const auto l = lines();
  ASSERT_THAT(l, SizeIs(1));
  EXPECT_THAT(l[0], HasSubstr(R"("source":"grpc")"));
  EXPECT_THAT(l[0], HasSubstr(R"("rpc":"batch","device":-5,)"));
  EXPECT_THAT(l[0], HasSubstr("\"reason\":\"events[1].origin_device_id"));
  v1::Event back;
  ASSERT_TRUE(back.ParseFromString(Data(l[0])));
  EXPECT_EQ(back.event_type(), "reading");
  EXPECT_EQ(back.origin_device_id(), -5);
  EXPECT_EQ(back.event_data().fields().at("t").number_value(), 21.5);
  EXPECT_EQ(back.timestamp().seconds(), 1700000000);
  EXPECT_EQ(back.timestamp().nanos(), 250000000);
  EXPECT_EQ(door_.counters().grpc.load(), 1u);
}

TEST_F(DeadLetteringIngestTest, BadMessagePackGivesThePayload) {
  const std::string payload("\x93\x01\x02", 3);  // not a bulk payload
  BulkInput b;
  b.device_id = 42;
  b.label = "telemetry";
  b.msgpack_payload = payload;
  ASSERT_EQ(ingest_.PublishBulk(b, Caller{}).code(),
            absl::StatusCode::kInvalidArgument);
  const auto l = lines();
  ASSERT_THAT(l, SizeIs(1));
  EXPECT_THAT(l[0], HasSubstr(R"("rpc":"bulk_data","device":42,"bytes":3,)"));
  EXPECT_EQ(Data(l[0]), payload);
}

TEST_F(DeadLetteringIngestTest, OversizedRecordGivesThatRecord) {
  std::vector<std::string> records = {"a", "b", std::string(500, 'z')};
  std::vector<const std::string*> ptrs;
  for (const auto& r : records) ptrs.push_back(&r);
  BulkInput b;
  b.device_id = 42;
  b.label = "telemetry";
  b.records = ptrs;
  absl::Status st = ingest_.PublishBulk(b, Caller{});
  ASSERT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  const auto l = lines();
  ASSERT_THAT(l, SizeIs(1));
  EXPECT_THAT(l[0], HasSubstr("\"reason\":\"records[2]: record of"));
  EXPECT_EQ(Data(l[0]), records[2]);
}

TEST_F(DeadLetteringIngestTest, OtherBulkErrorsGiveTheWholeMessage) {
  std::vector<std::string> records = {"a", "b"};
  std::vector<const std::string*> ptrs;
  for (const auto& r : records) ptrs.push_back(&r);
  BulkInput b;
  b.device_id = 42;
  b.records = ptrs;  // no label
  ASSERT_EQ(ingest_.PublishBulk(b, Caller{}).code(),
            absl::StatusCode::kInvalidArgument);
  const auto l = lines();
  ASSERT_THAT(l, SizeIs(1));
  v1::BulkData back;
  ASSERT_TRUE(back.ParseFromString(Data(l[0])));
  EXPECT_EQ(back.device_id(), 42);
  ASSERT_EQ(back.records_size(), 2);
  EXPECT_EQ(back.records(1), "b");
}

TEST(IndexNamedTest, ParsesTheLeadingIndex) {
  EXPECT_EQ(IndexNamed("events[12].home_id: x", "events"), 12);
  EXPECT_EQ(IndexNamed("records[0]: x", "records"), 0);
  EXPECT_EQ(IndexNamed("event: x", "events"), -1);
  EXPECT_EQ(IndexNamed("events[x]", "events"), -1);
  EXPECT_EQ(IndexNamed("events[3", "events"), -1);
}

}  // namespace
}  // namespace streamgate
