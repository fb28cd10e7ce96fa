// Routing and ingest through the real Ingester, Router and MemoryQueues:
// "*", lists, labels, fan-out, unmatched inputs, all-or-nothing on a full
// queue and registry-filled fields. (Input errors, size limits and shutdown:
// ingester_errors_test.cc.)
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

// --- routing ---------------------------------------------------------------

TEST(IngesterRoutingTest, StarAndListedTypeFanOutSharingOneBuffer) {
  TestPipeline p(kRouting);
  ASSERT_TRUE(p.ingester().PublishEvents({Event("alarm")}, {}).ok());
  OutBatch all = p.Drain(0), alarms = p.Drain(1);
  ASSERT_EQ(all.size(), 1u);
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(*all[0].data, kAlarmHome7);
  EXPECT_EQ(all[0].data.get(), alarms[0].data.get());  // one copy, shared
  EXPECT_EQ(all[0].partition_key, "7");
  EXPECT_THAT(p.DrainData(2), IsEmpty());
  EXPECT_THAT(p.DrainData(3), IsEmpty());
}

TEST(IngesterRoutingTest, UnlistedTypeGoesOnlyToStar) {
  TestPipeline p(kRouting);
  ASSERT_TRUE(p.ingester().PublishEvents({Event("door")}, {}).ok());
  EXPECT_THAT(p.DrainData(0),
              ElementsAre(R"({"eventType":"door","eventData":{},"timestamp":"2023-11-14T22:13:20Z","homeId":7})"));
  EXPECT_THAT(p.DrainData(1), IsEmpty());
}

TEST(IngesterRoutingTest, LabelAndStarLabelGetBulkEventModulesDoNot) {
  TestPipeline p(kRouting);
  Bulk b(42, "telemetry", {"r1", std::string("\x00\xff", 2)});
  IngestResult r = p.ingester().PublishBulk(b.input, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.accepted, 2u);
  EXPECT_THAT(p.DrainData(2), ElementsAre("r1", std::string("\x00\xff", 2)));
  OutBatch any = p.Drain(3);
  ASSERT_EQ(any.size(), 2u);
  EXPECT_EQ(any[1].partition_key, "42");
  EXPECT_THAT(p.DrainData(0), IsEmpty());
  EXPECT_THAT(p.DrainData(1), IsEmpty());

  Bulk other(42, "logs", {"x"});
  ASSERT_TRUE(p.ingester().PublishBulk(other.input, {}).ok());
  EXPECT_THAT(p.DrainData(2), IsEmpty());
  EXPECT_THAT(p.DrainData(3), ElementsAre("x"));
}

TEST(IngesterRoutingTest, BatchEventsGoToTheirOwnModulesInOrder) {
  TestPipeline p(kRouting);
  std::vector<EventInput> batch = {Event("fire", 1), Event("door", 2),
                                   Event("alarm", 3)};
  ASSERT_TRUE(p.ingester().PublishEvents(batch, {}).ok());
  std::vector<std::string> all = p.DrainData(0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_THAT(all[1], HasSubstr(R"("eventType":"door")"));
  std::vector<std::string> alarms = p.DrainData(1);
  ASSERT_EQ(alarms.size(), 2u);
  EXPECT_THAT(alarms[0], HasSubstr(R"("homeId":1})"));
  EXPECT_THAT(alarms[1], HasSubstr(R"("homeId":3})"));
}

TEST(IngesterRoutingTest, MsgpackRecordsForwardedByteForByte) {
  TestPipeline p(kRouting);
  const std::string payload =
      MsgpackVersion() + std::string("\xc4\x02\x00\x01" "\xa3" "abc" "\xc4\x00", 10);
  BulkInput b;
  b.device_id = 9;
  b.label = "telemetry";
  b.msgpack_payload = payload;
  IngestResult r = p.ingester().PublishBulk(b, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.accepted, 3u);
  EXPECT_THAT(p.DrainData(2),
              ElementsAre(std::string("\x00\x01", 2), "abc", ""));
}

TEST(IngesterRoutingTest, MsgpackEmptyListIsAcceptedAndQueuesNothing) {
  TestPipeline p(kRouting);
  const std::string payload = MsgpackVersion();
  BulkInput b;
  b.device_id = 9;
  b.label = "telemetry";
  b.msgpack_payload = payload;
  IngestResult r = p.ingester().PublishBulk(b, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.accepted, 0u);
  EXPECT_EQ(p.queue(2).depth(), 0u);
}

TEST(IngesterRoutingTest, NothingMatchedIsOkAndCounted) {
  TestPipeline p(R"(
modules:
  - {id: a, subscribe_events: [alarm], bulk_data_label: telemetry, sink: {type: stdout}}
)");
  ASSERT_TRUE(p.ingester().PublishEvents({Event("door")}, {}).ok());
  EXPECT_EQ(p.ingester().stats().unrouted.load(), 1u);
  EXPECT_EQ(p.ingester().stats().events_accepted.load(), 1u);
  Bulk b(1, "logs", {"a", "b", "c"});
  IngestResult r = p.ingester().PublishBulk(b.input, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.accepted, 3u);
  EXPECT_EQ(p.ingester().stats().unrouted.load(), 4u);
  EXPECT_EQ(p.queue(0).depth(), 0u);
  EXPECT_EQ(p.stats(0).accepted_records.load(), 0u);
}

TEST(IngesterRoutingTest, UnmatchedInputIsStillValidated) {
  TestPipeline p(R"(
modules:
  - {id: a, subscribe_events: [alarm], sink: {type: stdout}}
)");
  EXPECT_EQ(p.ingester().PublishEvents({Event("door", 0)}, {}).code(),
            absl::StatusCode::kInvalidArgument);
  BulkInput b;
  b.device_id = 1;
  b.label = "nobody";
  const std::string bad = MsgpackVersion() + "\x01";
  b.msgpack_payload = bad;
  EXPECT_EQ(p.ingester().PublishBulk(b, {}).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(IngesterRoutingTest, UnroutedEventsOfAPartlyRoutedBatchAreCounted) {
  // Spec 2: an input no module matches is accepted and counted. In a batch
  // where some events match and some do not, the unmatched ones must count.
  TestPipeline p(R"(
modules:
  - {id: a, subscribe_events: [alarm], sink: {type: stdout}}
)");
  ASSERT_TRUE(
      p.ingester().PublishEvents({Event("alarm"), Event("door"), Event("x")}, {}).ok());
  EXPECT_EQ(p.queue(0).depth(), 1u);
  EXPECT_EQ(p.ingester().stats().events_accepted.load(), 3u);
  EXPECT_EQ(p.ingester().stats().unrouted.load(), 2u);
}

// --- backpressure ----------------------------------------------------------

constexpr char kSmallQueue[] = R"(
modules:
  - {id: roomy, subscribe_events: [alarm], bulk_data_label: t, sink: {type: stdout}}
  - id: tiny
    subscribe_events: ["*"]
    bulk_data_label: t
    queue: {max_records: 1}
    sink: {type: stdout}
)";

TEST(IngesterBackpressureTest, OneFullQueueRejectsEverywhere) {
  TestPipeline p(kSmallQueue);
  ASSERT_TRUE(p.ingester().PublishEvents({Event("door")}, {}).ok());  // fills tiny
  ASSERT_EQ(p.queue(1).depth(), 1u);
  IngestResult st = p.ingester().PublishEvents({Event("alarm")}, {});
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(st.message(), HasSubstr("tiny"));
  EXPECT_EQ(p.queue(0).depth(), 0u);  // roomy got nothing
  EXPECT_EQ(p.ingester().stats().exhausted.load(), 1u);
  EXPECT_EQ(p.stats(1).rejected_full.load(), 1u);

  Bulk b(3, "t", {"x"});
  IngestResult full = p.ingester().PublishBulk(b.input, {});
  EXPECT_EQ(full.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(full.reason, IngestReason::kFull);
  EXPECT_EQ(full.accepted, 0u);
  EXPECT_EQ(p.queue(0).depth(), 0u);

  // Once tiny drains, the same input goes through to both.
  EXPECT_EQ(p.Drain(1).size(), 1u);
  ASSERT_TRUE(p.ingester().PublishEvents({Event("alarm")}, {}).ok());
  EXPECT_THAT(p.DrainData(0), ElementsAre(kAlarmHome7));
  EXPECT_THAT(p.DrainData(1), ElementsAre(kAlarmHome7));
}

TEST(IngesterBackpressureTest, RefusedInputLeavesNoReservationBehind) {
  TestPipeline p(R"(
modules:
  - id: roomy
    subscribe_events: [alarm]
    queue: {max_records: 2}
    sink: {type: stdout}
  - id: tiny
    subscribe_events: ["*"]
    queue: {max_records: 1}
    sink: {type: stdout}
)");
  ASSERT_TRUE(p.ingester().PublishEvents({Event("door")}, {}).ok());
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(p.ingester().PublishEvents({Event("alarm")}, {}).code(),
              absl::StatusCode::kResourceExhausted);
  }
  // roomy still has room for 2: the refused calls cancelled their share.
  p.Drain(1);
  ASSERT_TRUE(p.ingester().PublishEvents({Event("alarm")}, {}).ok());
  p.Drain(1);
  ASSERT_TRUE(p.ingester().PublishEvents({Event("alarm")}, {}).ok());
  EXPECT_EQ(p.queue(0).depth(), 2u);
}

// --- registry --------------------------------------------------------------


TEST(IngesterRegistryTest, HomeAndClassFilledFromTheRegistry) {
  TestPipeline p(kRegistry);
  EventInput e = Event("alarm", 0);
  e.origin_device_id = 42;
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  EXPECT_THAT(p.DrainData(0),
              ElementsAre(R"({"eventType":"alarm","eventData":{},"timestamp":"2023-11-14T22:13:20Z",)"
                          R"("homeId":7,"originDeviceId":42,"originDeviceClass":"thermostat"})"));
}

TEST(IngesterRegistryTest, GivenHomeAndClassWin) {
  TestPipeline p(kRegistry);
  EventInput e = Event("alarm", 9);
  e.origin_device_id = 42;
  e.origin_device_class = "lamp";
  e.origin_device_ip = "192.0.2.1";
  ASSERT_TRUE(p.ingester().PublishEvents({e}, Caller{"key-1", "ops"}).ok());
  EXPECT_THAT(p.DrainData(0),
              ElementsAre(R"({"eventType":"alarm","eventData":{},"timestamp":"2023-11-14T22:13:20Z",)"
                          R"("homeId":9,"originDeviceId":42,"originDeviceClass":"lamp",)"
                          R"("originDeviceIp":"192.0.2.1","originProjectKeyId":"key-1",)"
                          R"("originProjectKeyName":"ops"})"));
}

TEST(IngesterRegistryTest, KnownDeviceWithoutClassHasNoClassKey) {
  TestPipeline p(kRegistry);
  EventInput e = Event("alarm", 0);
  e.origin_device_id = 43;
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  EXPECT_THAT(p.DrainData(0),
              ElementsAre(R"({"eventType":"alarm","eventData":{},"timestamp":"2023-11-14T22:13:20Z",)"
                          R"("homeId":8,"originDeviceId":43})"));
}

TEST(IngesterRegistryTest, UnknownDeviceNeedsAHome) {
  TestPipeline p(kRegistry);
  EventInput e = Event("alarm", 0);
  e.origin_device_id = 44;
  IngestResult st = p.ingester().PublishEvents({e}, {});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("home_id"));
  e.home_id = 5;
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  EXPECT_THAT(p.DrainData(0),
              ElementsAre(R"({"eventType":"alarm","eventData":{},"timestamp":"2023-11-14T22:13:20Z",)"
                          R"("homeId":5,"originDeviceId":44})"));
}

TEST(IngesterRegistryTest, HomeEventNeedsAHome) {
  TestPipeline p(kRegistry);
  IngestResult st = p.ingester().PublishEvents({Event("alarm", 0)}, {});
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("home_id"));
  EXPECT_EQ(p.ingester().stats().invalid.load(), 1u);
}

TEST(IngesterRegistryTest, UnknownDeviceUsesTheDefaultHomeOrIsRefused) {
  TestPipeline p(kRegistry);
  EventInput e = Event("alarm", 0);
  e.origin_device_id = 44;  // not in the registry
  IngestResult refused = p.ingester().PublishEvents({e}, {});
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.reason, IngestReason::kUnknownDevice);
  EXPECT_EQ(refused.bad_index, 0);
  e.default_home_id = 1001;
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  EXPECT_THAT(p.DrainData(0), ElementsAre(HasSubstr(R"("homeId":1001)")));
  e.origin_device_id = 42;  // known: the registry's home wins
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  EXPECT_THAT(p.DrainData(0), ElementsAre(HasSubstr(R"("homeId":7)")));

  // Bulk data needs no home: accepted from any device.
  Bulk unknown(44, "x", {"r"});
  EXPECT_TRUE(p.ingester().PublishBulk(unknown.input, {}).ok());
  Bulk known(42, "x", {"r"});
  EXPECT_TRUE(p.ingester().PublishBulk(known.input, {}).ok());
}

// The top-level default_home_id applies to every door: an event with no
// home of its own (gRPC home_id 0, as MQTT always sends) from an unknown
// device takes it; an input's own default (mqtt.default_home_id) wins.
TEST(IngesterRegistryTest, TopLevelDefaultHomeAppliesToEveryEvent) {
  TestPipeline p(std::string("default_home_id: 900\n") + kRegistry);
  EventInput e = Event("alarm", 0);
  e.origin_device_id = 44;
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  EXPECT_THAT(p.DrainData(0), ElementsAre(HasSubstr(R"("homeId":900,)")));
  e.default_home_id = 1001;
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  EXPECT_THAT(p.DrainData(0), ElementsAre(HasSubstr(R"("homeId":1001,)")));
  e.default_home_id.reset();
  e.home_id = 5;  // its own home wins over the default
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  EXPECT_THAT(p.DrainData(0), ElementsAre(HasSubstr(R"("homeId":5,)")));
  e.home_id = 0;
  e.origin_device_id = 43;  // known: the registry wins
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  EXPECT_THAT(p.DrainData(0), ElementsAre(HasSubstr(R"("homeId":8,)")));
  // A home event (no device) still needs its own home.
  EXPECT_EQ(p.ingester().PublishEvents({Event("alarm", 0)}, {}).reason,
            IngestReason::kInvalid);
}

TEST(IngesterRegistryTest, ResultNamesTheBadItemAndReason) {
  TestPipeline p(kRegistry);
  IngestResult r =
      p.ingester().PublishEvents({Event("a"), Event("b"), Event("")}, {});
  EXPECT_EQ(r.reason, IngestReason::kInvalid);
  EXPECT_EQ(r.bad_index, 2);
  EXPECT_EQ(r.accepted, 0u);
  Bulk b(42, "x", {"ok", std::string(2 << 20, 'x')});
  r = p.ingester().PublishBulk(b.input, {});
  EXPECT_EQ(r.reason, IngestReason::kTooLarge);
  EXPECT_EQ(r.bad_index, 1);
}

TEST(IngesterRegistryTest, MissingTimestampIsStampedWithReceiveTime) {
  TestPipeline p(kRegistry);
  EventInput e = Event("alarm");
  e.timestamp.reset();
  const absl::Time before = absl::Now();
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  const absl::Time after = absl::Now();
  std::vector<std::string> got = p.DrainData(0);
  ASSERT_EQ(got.size(), 1u);
  const size_t at = got[0].find(R"("timestamp":")");
  ASSERT_NE(at, std::string::npos);
  const size_t start = at + 13, end = got[0].find('"', start);
  absl::Time t;
  std::string err;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, got[0].substr(start, end - start),
                              &t, &err)) << err << " in " << got[0];
  EXPECT_GE(t, absl::FromUnixSeconds(absl::ToUnixSeconds(before)));
  EXPECT_LE(t, after);
  EXPECT_EQ(got[0][end - 1], 'Z');
}

}  // namespace
}  // namespace streamgate
