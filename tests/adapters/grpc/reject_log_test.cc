// RejectLog: one WARN line per key per interval, the count of lines held
// back on the next line that gets through, client strings escaped, and the
// unparsable-request counters as /metrics families. Time is a fake clock.
#include "adapters/grpc/reject_log.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adapters/grpc/grpc_test_util.h"

namespace streamgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::LogCapture;
using ::testing::Not;

absl::Time fake_now = absl::FromUnixSeconds(1000);
absl::Time FakeNow() { return fake_now; }

TEST(RejectLog, OneLinePerKeyPerIntervalThenTheHeldBackCount) {
  LogCapture logs;
  RejectLog log(absl::Seconds(10), &FakeNow);
  for (int i = 0; i < 5; ++i) {
    log.StreamItemRejected("ipv4:1.2.3.4:5", 100 + i, "event",
                           IngestReason::kInvalid,
                           "event.event_type: must not be empty");
  }
  // Another kind or reason is its own key: not held back by the first.
  log.StreamItemRejected("p", 200, "bulk_data", IngestReason::kInvalid,
                         "bulk_data.label: must not be empty");
  log.StreamItemRejected("p", 201, "event", IngestReason::kUnknownDevice,
                         "event.home_id: required");
  EXPECT_THAT(logs.Lines("warning"),
              ElementsAre("warning grpc Publish from ipv4:1.2.3.4:5: item 100 "
                          "(event) rejected: event.event_type: must not be "
                          "empty",
                          "warning grpc Publish from p: item 200 (bulk_data) "
                          "rejected: bulk_data.label: must not be empty",
                          "warning grpc Publish from p: item 201 (event) "
                          "rejected: event.home_id: required"));

  fake_now += absl::Seconds(10);
  log.StreamItemRejected("p", 105, "event", IngestReason::kInvalid,
                         "event.event_type: must not be empty");
  EXPECT_EQ(logs.Lines("warning").back(),
            "warning grpc Publish from p: item 105 (event) rejected: "
            "event.event_type: must not be empty (4 similar lines held back)");
}

TEST(RejectLog, EscapesClientStrings) {
  LogCapture logs;
  RejectLog log(absl::Seconds(10), &FakeNow);
  log.StreamItemRejected("p", 1, "event", IngestReason::kInvalid,
                         "event.event_type: 'x\n2026-01-01 error forged'");
  const std::string text = logs.text();
  EXPECT_THAT(text, HasSubstr("'x\\n2026-01-01 error forged'"));
  EXPECT_THAT(text, Not(HasSubstr("\n2026")));
}

TEST(RejectLog, CountsEveryUnparsableRequestButLogsWithinTheLimit) {
  LogCapture logs;
  RejectLog log(absl::Seconds(10), &FakeNow);
  for (int i = 0; i < 3; ++i) {
    log.Unparsable(GatewayRpc::kPublishEvent, "p",
                   "request is not a valid streamgate.v1.Event: invalid "
                   "UTF-8 in string field event_type");
  }
  log.Unparsable(GatewayRpc::kPublish, "p", "request is not a valid x: y");
  EXPECT_EQ(log.unparsable(GatewayRpc::kPublishEvent), 3u);
  EXPECT_EQ(log.unparsable(GatewayRpc::kPublish), 1u);
  EXPECT_EQ(log.unparsable(GatewayRpc::kPublishBulkData), 0u);
  EXPECT_THAT(logs.Lines("warning"),
              ElementsAre("warning grpc PublishEvent from p: request is not a "
                          "valid streamgate.v1.Event: invalid UTF-8 in string "
                          "field event_type",
                          "warning grpc Publish from p: request is not a valid "
                          "x: y"));
  fake_now += absl::Seconds(11);
  log.Unparsable(GatewayRpc::kPublishEvent, "p", "again");
  EXPECT_EQ(logs.Lines("warning").back(),
            "warning grpc PublishEvent from p: again (2 similar lines held "
            "back)");

  testing::RecordingMetrics metrics;
  log.CollectMetrics(metrics);
  EXPECT_EQ(
      metrics.samples,
      (std::map<std::string, double>{
          {"streamgate_grpc_unparsable_requests_total{rpc=Publish}", 1},
          {"streamgate_grpc_unparsable_requests_total{rpc=PublishBulkData}", 0},
          {"streamgate_grpc_unparsable_requests_total{rpc=PublishEvent}", 4}}));
}

// Issue 15 item 3: a flood of unauthenticated calls gave one WARN line each.
TEST(RejectLog, UnauthenticatedCallsOneLinePerReasonPerInterval) {
  LogCapture logs;
  RejectLog log(absl::Seconds(1), &FakeNow);
  for (int i = 0; i < 1000; ++i) {
    log.Unauthenticated("ipv4:1.2.3.4:5", "missing API key");
    log.Unauthenticated("ipv4:1.2.3.4:6", "unknown API key");
  }
  EXPECT_THAT(logs.Lines("warning"),
              ElementsAre("warning grpc: call from ipv4:1.2.3.4:5 rejected: "
                          "missing API key",
                          "warning grpc: call from ipv4:1.2.3.4:6 rejected: "
                          "unknown API key"));
  fake_now += absl::Seconds(1);
  log.Unauthenticated("p", "missing API key");
  EXPECT_EQ(logs.Lines("warning").back(),
            "warning grpc: call from p rejected: missing API key (999 similar "
            "lines held back)");
}

TEST(RejectLog, UnaryRejectsOneErrorLinePerRpcAndReasonPerInterval) {
  LogCapture logs;
  RejectLog log(absl::Seconds(1), &FakeNow);
  for (int i = 0; i < 50; ++i) {
    log.UnaryRejected(GatewayRpc::kPublishEvent, "p", "",
                      IngestReason::kInvalid, "event_type: must not be empty");
    log.UnaryRejected(GatewayRpc::kPublishBulkData, "p",
                      "device 7, label 'l\nx'", IngestReason::kInvalid,
                      "records[0]: too big");
  }
  EXPECT_THAT(logs.Lines("error"),
              ElementsAre("error grpc PublishEvent from p rejected: "
                          "event_type: must not be empty",
                          "error grpc PublishBulkData from p (device 7, label "
                          "'l\\nx') rejected: records[0]: too big"));
  fake_now += absl::Seconds(1);
  log.UnaryRejected(GatewayRpc::kPublishEvent, "p", "", IngestReason::kInvalid,
                    "again");
  EXPECT_EQ(logs.Lines("error").back(),
            "error grpc PublishEvent from p rejected: again (49 similar lines "
            "held back)");
}

}  // namespace
}  // namespace streamgate
