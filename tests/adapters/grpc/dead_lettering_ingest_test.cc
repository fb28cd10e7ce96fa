// DeadLetteringIngest in front of the real Ingester (the core's Pipeline
// with null sinks), writing what it refuses, with the raw bytes, to a real
// dead-letter file: the offending item comes from IngestResult::bad_index.
#include "adapters/grpc/dead_lettering_ingest.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gateway/common/dead_letter_file.h"
#include "gateway/core/door_rejects.h"
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
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(R"({"t":21.5})", &data).ok());
  std::vector<EventInput> events(3);
  for (auto& e : events) {
    e.event_type = "reading";
    e.origin_device_id = 42;
  }
  events[1].origin_device_id = -5;
  events[1].data_struct = &data;
  events[1].timestamp = absl::FromUnixMillis(1700000000250);
  IngestResult st = ingest_.PublishEvents(events, Caller{});
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
  IngestResult st = ingest_.PublishBulk(b, Caller{});
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

// The asynchronous methods (what the gRPC adapter calls) report the same
// way: the refusal is answered while the input still exists.
TEST_F(DeadLetteringIngestTest, AsyncRefusalsAreReportedWithTheirBytes) {
  std::vector<EventInput> events(2);
  for (auto& e : events) {
    e.event_type = "reading";
    e.origin_device_id = 42;
  }
  events[1].event_type = "";
  int answers = 0;
  ingest_.PublishEventsAsync(events, Caller{}, [&](IngestResult st) {
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    ++answers;
  });
  const std::string payload("\x93\x01\x02", 3);
  BulkInput b;
  b.device_id = 42;
  b.label = "telemetry";
  b.msgpack_payload = payload;
  ingest_.PublishBulkAsync(b, Caller{}, [&](IngestResult st) {
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    ++answers;
  });
  EXPECT_EQ(answers, 2);
  const auto l = lines();
  ASSERT_THAT(l, SizeIs(2));
  EXPECT_THAT(l[0], HasSubstr("\"reason\":\"events[1].event_type"));
  v1::Event back;
  ASSERT_TRUE(back.ParseFromString(Data(l[0])));
  EXPECT_EQ(back.origin_device_id(), 42);
  EXPECT_EQ(Data(l[1]), payload);
  // An accepted input is answered OK and reports nothing.
  events[1].event_type = "reading";
  ingest_.PublishEventsAsync(events, Caller{}, [&](IngestResult st) {
    EXPECT_TRUE(st.ok()) << st.status;
    ++answers;
  });
  EXPECT_EQ(answers, 3);
  EXPECT_THAT(lines(), SizeIs(2));
  EXPECT_EQ(door_.counters().grpc.load(), 2u);
}

}  // namespace
}  // namespace streamgate
