// The real Ingester refusing inputs: errors naming the field (and the batch
// index), record size limits, and UNAVAILABLE after StopAccepting.
#include "gateway/core/ingester.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "tests/gateway/core/test_pipeline.h"
#include "tests/gateway/core/ingester_test_util.h"

namespace streamgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Bulk;
using testing::Event;
using testing::kAlarmHome7;
using testing::kRegistry;
using testing::kRouting;
using testing::MsgpackVersion;
using testing::TestPipeline;

// --- input errors ----------------------------------------------------------

TEST(IngesterErrorsTest, SingleEventErrorsNameTheField) {
  TestPipeline p(kRegistry);
  EXPECT_EQ(p.ingester().PublishEvents({Event("")}, {}).message(),
            "event_type: must not be empty");
  EventInput neg = Event("alarm");
  neg.origin_device_id = -5;
  IngestResult st = p.ingester().PublishEvents({neg}, {});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("origin_device_id"));
  neg.origin_device_id = 0;
  EXPECT_THAT(p.ingester().PublishEvents({neg}, {}).message(),
              HasSubstr("origin_device_id"));
  EventInput old = Event("alarm");
  old.timestamp = absl::FromUnixSeconds(-62135596801);  // year 0000
  st = p.ingester().PublishEvents({old}, {});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("timestamp"));
  EventInput neg_home = Event("alarm", -1);
  EXPECT_THAT(p.ingester().PublishEvents({neg_home}, {}).message(),
              HasSubstr("home_id"));
  EXPECT_EQ(p.queue(0).depth(), 0u);
}

TEST(IngesterErrorsTest, BatchErrorsNameTheIndexAndQueueNothing) {
  TestPipeline p(kRegistry);
  EXPECT_EQ(p.ingester().PublishEvents({Event("a"), Event("")}, {}).message(),
            "events[1].event_type: must not be empty");
  EventInput unknown = Event("a", 0);
  unknown.origin_device_id = 99;
  IngestResult st = p.ingester().PublishEvents({unknown, Event("a")}, {});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("events[0].home_id"));
  EventInput neg = Event("a");
  neg.origin_device_id = -1;
  EXPECT_THAT(
      p.ingester().PublishEvents({Event("a"), Event("b"), neg}, {}).message(),
      HasSubstr("events[2].origin_device_id"));
  EXPECT_EQ(p.queue(0).depth(), 0u);
  EXPECT_EQ(p.ingester().stats().events_accepted.load(), 0u);
}

TEST(IngesterErrorsTest, NonFiniteEventDataNamesIndexAndPath) {
  TestPipeline p(kRegistry);
  google::protobuf::Struct s;
  (*s.mutable_fields())["a"].set_number_value(std::nan(""));
  EventInput bad = Event("alarm");
  bad.data_struct = &s;
  EXPECT_EQ(p.ingester().PublishEvents({Event("alarm"), bad}, {}).message(),
            "events[1].event_data.a: NaN is not valid JSON");
  EXPECT_EQ(p.ingester().PublishEvents({bad}, {}).message(),
            "event_data.a: NaN is not valid JSON");
  EXPECT_EQ(p.queue(0).depth(), 0u);
}

TEST(IngesterErrorsTest, BulkErrorsNameTheField) {
  TestPipeline p(kRouting);
  Bulk zero(0, "telemetry", {"x"});
  EXPECT_THAT(p.ingester().PublishBulk(zero.input, {}).message(),
              HasSubstr("device_id"));
  Bulk neg(-3, "telemetry", {"x"});
  EXPECT_EQ(p.ingester().PublishBulk(neg.input, {}).code(),
            absl::StatusCode::kInvalidArgument);
  Bulk nolabel(3, "", {"x"});
  EXPECT_THAT(p.ingester().PublishBulk(nolabel.input, {}).message(),
              HasSubstr("label"));
  EXPECT_EQ(p.queue(2).depth() + p.queue(3).depth(), 0u);
}

TEST(IngesterErrorsTest, RecordsAndMsgpackBothSet) {
  TestPipeline p(kRouting);
  Bulk b(3, "telemetry", {"x"});
  const std::string payload = MsgpackVersion();
  b.input.msgpack_payload = payload;
  IngestResult st = p.ingester().PublishBulk(b.input, {});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("records"));
  EXPECT_THAT(st.message(), HasSubstr("msgpack_payload"));
  EXPECT_EQ(p.queue(2).depth(), 0u);
}

TEST(IngesterErrorsTest, BadMsgpackRejectsTheWholePayload) {
  TestPipeline p(kRouting);
  const std::string payload =
      MsgpackVersion() + std::string("\xc4\x01" "a" "\xc4\x01" "b" "\x05", 7);
  BulkInput b;
  b.device_id = 3;
  b.label = "telemetry";
  b.msgpack_payload = payload;
  IngestResult st = p.ingester().PublishBulk(b, {});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("msgpack_payload"));
  EXPECT_EQ(p.queue(2).depth(), 0u);
}

// --- record size limit -----------------------------------------------------

TEST(IngesterLimitTest, BulkRecordAtTheLimitPassesOneByteOverFails) {
  TestPipeline p(R"(
limits: {max_record_bytes: 100}
modules:
  - {id: t, bulk_data_label: t, sink: {type: stdout}}
)");
  Bulk exact(42, "t", {std::string(98, 'x')});  // 98 + "42" = 100
  ASSERT_TRUE(p.ingester().PublishBulk(exact.input, {}).ok());
  EXPECT_EQ(p.queue(0).depth(), 1u);
  Bulk over(42, "t", {"small", std::string(99, 'x')});
  IngestResult st = p.ingester().PublishBulk(over.input, {});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("records[1]"));
  EXPECT_EQ(p.queue(0).depth(), 1u);  // "small" was not queued either
}

TEST(IngesterLimitTest, UnroutedOversizedRecordIsStillRejected) {
  TestPipeline p(R"(
limits: {max_record_bytes: 100}
modules:
  - {id: t, bulk_data_label: t, sink: {type: stdout}}
)");
  Bulk over(42, "nobody", {std::string(99, 'x')});
  EXPECT_EQ(p.ingester().PublishBulk(over.input, {}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(IngesterLimitTest, UuidKeyCountsAgainstTheLimit) {
  TestPipeline p(R"(
limits: {max_record_bytes: 100}
modules:
  - {id: t, bulk_data_label: t, use_uuid: true, sink: {type: stdout}}
)");
  Bulk fits(42, "t", {std::string(64, 'x')});  // 64 + 36 = 100
  ASSERT_TRUE(p.ingester().PublishBulk(fits.input, {}).ok());
  Bulk over(42, "t", {std::string(65, 'x')});
  IngestResult st = p.ingester().PublishBulk(over.input, {});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("records[0]"));
  EXPECT_EQ(p.queue(0).depth(), 1u);
}

TEST(IngesterLimitTest, EventAtTheLimitPassesOneByteOverFails) {
  const std::string json = kAlarmHome7;  // key "7" adds one byte
  const std::string exact_cfg =
      "limits: {max_record_bytes: " + std::to_string(json.size() + 1) +
      "}\nmodules: [{id: a, subscribe_events: ['*'], sink: {type: stdout}}]\n";
  TestPipeline exact(exact_cfg);
  ASSERT_TRUE(exact.ingester().PublishEvents({Event("alarm")}, {}).ok());
  EXPECT_THAT(exact.DrainData(0), ElementsAre(kAlarmHome7));

  const std::string under_cfg =
      "limits: {max_record_bytes: " + std::to_string(json.size()) +
      "}\nmodules: [{id: a, subscribe_events: ['*'], sink: {type: stdout}}]\n";
  TestPipeline under(under_cfg);
  IngestResult st = under.ingester().PublishEvents({Event("alarm")}, {});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.reason, IngestReason::kTooLarge);
  EXPECT_THAT(st.message(), HasSubstr("event"));
  EXPECT_THAT(st.message(), HasSubstr("exceeds"));
  st = under.ingester().PublishEvents({Event("a", 1), Event("alarm")}, {});
  EXPECT_THAT(st.message(), HasSubstr("events[1]"));
  EXPECT_EQ(st.bad_index, 1);
  EXPECT_EQ(under.queue(0).depth(), 0u);
}

// --- shutdown --------------------------------------------------------------

TEST(IngesterShutdownTest, UnavailableAfterStopAccepting) {
  TestPipeline p(kRouting);
  p.ingester().StopAccepting();
  EXPECT_EQ(p.ingester().PublishEvents({Event("alarm")}, {}).code(),
            absl::StatusCode::kUnavailable);
  Bulk b(1, "telemetry", {"x"});
  EXPECT_EQ(p.ingester().PublishBulk(b.input, {}).code(),
            absl::StatusCode::kUnavailable);
  // Even a bad input answers UNAVAILABLE: the door is shut first.
  EXPECT_EQ(p.ingester().PublishEvents({Event("")}, {}).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(p.ingester().stats().unavailable.load(), 3u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(p.queue(i).depth(), 0u);
}

}  // namespace
}  // namespace streamgate
