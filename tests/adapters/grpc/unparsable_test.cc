// Requests gRPC hands over but protobuf refuses — invalid UTF-8 in a string
// field, a Struct nested past the recursion limit, bytes that are not
// protobuf — sent as raw bytes to an in-process GrpcAdapter: each gets
// INVALID_ARGUMENT with the reason (not gRPC's bare UNIMPLEMENTED), reaches
// no Ingest, is counted in streamgate_grpc_unparsable_requests_total{rpc}
// and logged at WARN; protobuf's own complaint goes to spdlog at DEBUG. On
// the Publish stream such an item is answered in order, under its id, and
// the stream goes on.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "streamgate/v1/gateway.pb.h"
#include "tests/adapters/grpc/grpc_test_util.h"

namespace streamgate {
namespace {

using ::testing::AllOf;
using testing::BytesField;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::NestedStruct;
using ::testing::SizeIs;
using testing::VarintField;

constexpr char kPublishEvent[] = "/streamgate.v1.Gateway/PublishEvent";
constexpr char kPublishBulk[] = "/streamgate.v1.Gateway/PublishBulkData";
constexpr char kPublish[] = "/streamgate.v1.Gateway/Publish";

const std::string kHome = VarintField(4, 7);  // Event.home_id = 7

class UnparsableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(harness_.Start().ok());
    channel_ = harness_.Channel();
  }

  double Counter(const char* rpc) {
    testing::RecordingMetrics metrics;
    harness_.adapter().CollectMetrics(metrics);
    return metrics.samples[absl::StrCat(
        "streamgate_grpc_unparsable_requests_total{rpc=", rpc, "}")];
  }

  testing::LogCapture logs_{spdlog::level::debug};  // outlives the adapter
  testing::AdapterHarness harness_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(UnparsableTest, UnaryEventGetsInvalidArgumentWithTheReason) {
  // The hand encoding is right: the same bytes with valid text are taken.
  auto ok =
      testing::RawUnary(channel_, kPublishEvent, BytesField(1, "ok") + kHome);
  ASSERT_TRUE(ok.status.ok()) << ok.status.error_message();
  v1::PublishResponse answer;
  ASSERT_TRUE(answer.ParseFromString(ok.bytes));
  EXPECT_EQ(answer.records(), 1u);
  ok = testing::RawUnary(
      channel_, kPublishEvent,
      BytesField(1, "deep") + BytesField(2, NestedStruct(5)) + kHome);
  ASSERT_TRUE(ok.status.ok()) << ok.status.error_message();
  ASSERT_EQ(harness_.ingest.events().size(), 2u);

  auto utf8 = testing::RawUnary(channel_, kPublishEvent,
                                BytesField(1, "\xff\xfe") + kHome);
  EXPECT_EQ(utf8.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(utf8.status.error_message(),
            "request is not a valid streamgate.v1.Event: invalid UTF-8 in "
            "string field event_type");
  auto deep = testing::RawUnary(
      channel_, kPublishEvent,
      BytesField(1, "deep") + BytesField(2, NestedStruct(150)) + kHome);
  EXPECT_EQ(deep.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(deep.status.error_message(),
            "request is not a valid streamgate.v1.Event: nesting deeper than "
            "100 levels (in event_data)");
  auto garbage = testing::RawUnary(channel_, kPublishEvent,
                                   "\x0a\x7f"
                                   "abc");
  EXPECT_EQ(garbage.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(garbage.status.error_message(),
              HasSubstr("malformed protobuf bytes"));

  EXPECT_EQ(harness_.ingest.events().size(), 2u);  // none reached Ingest
  EXPECT_EQ(Counter("PublishEvent"), 3);
  EXPECT_EQ(Counter("PublishBulkData"), 0);
  // At least the first is logged (the rest may be held back by the limit).
  EXPECT_THAT(logs_.Lines("warning"),
              Contains(AllOf(HasSubstr("grpc PublishEvent from "),
                             HasSubstr("request is not a valid "
                                       "streamgate.v1.Event: invalid UTF-8 "
                                       "in string field event_type"))));
  // protobuf's own line ("String field ... contains invalid UTF-8") came
  // through spdlog at DEBUG, not to stderr on its own.
  bool routed = false;
  for (const std::string& l : logs_.Lines("debug")) {
    routed |= l.find("protobuf: ") != std::string::npos &&
              l.find("invalid UTF-8") != std::string::npos;
  }
  EXPECT_TRUE(routed) << logs_.text();
}

TEST_F(UnparsableTest, UnaryBulkDataNamesTheField) {
  auto r = testing::RawUnary(
      channel_, kPublishBulk,
      VarintField(1, 42) + BytesField(2, "lab\xe9l") + BytesField(3, "rec"));
  EXPECT_EQ(r.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(r.status.error_message(),
            "request is not a valid streamgate.v1.BulkData: invalid UTF-8 in "
            "string field label");
  EXPECT_THAT(harness_.ingest.bulks(), IsEmpty());
  EXPECT_EQ(Counter("PublishBulkData"), 1);
  EXPECT_EQ(Counter("PublishEvent"), 0);
}

TEST_F(UnparsableTest, StreamItemIsAnsweredUnderItsIdAndTheStreamGoesOn) {
  const std::string good = BytesField(1, "ok") + kHome;
  const std::vector<std::string> items = {
      VarintField(1, 11) + BytesField(2, good),
      VarintField(1, 12) + BytesField(2, BytesField(1, "\xff") + kHome),
      VarintField(1, 13) + BytesField(2, BytesField(2, NestedStruct(150))),
      VarintField(1, 14) + BytesField(2, good),
  };
  auto reply = testing::RawBidi(channel_, kPublish, items);
  ASSERT_TRUE(reply.status.ok()) << reply.status.error_message();
  ASSERT_THAT(reply.responses, SizeIs(4));
  std::vector<v1::PublishResponse> answers(4);
  for (size_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(answers[i].ParseFromString(reply.responses[i]));
  }
  EXPECT_EQ(answers[0].id(), 11u);
  EXPECT_EQ(answers[0].code(), 0);
  EXPECT_EQ(answers[1].id(), 12u);
  EXPECT_EQ(answers[1].code(),
            static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(answers[1].message(),
            "request is not a valid streamgate.v1.PublishRequest: invalid "
            "UTF-8 in string field event.event_type");
  EXPECT_EQ(answers[2].id(), 13u);
  EXPECT_EQ(answers[2].code(),
            static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(answers[2].message(),
            "request is not a valid streamgate.v1.PublishRequest: nesting "
            "deeper than 100 levels (in event)");
  EXPECT_EQ(answers[3].id(), 14u);
  EXPECT_EQ(answers[3].code(), 0);
  EXPECT_EQ(answers[3].records(), 1u);
  EXPECT_EQ(harness_.ingest.events().size(), 2u);
  EXPECT_EQ(Counter("Publish"), 2);
  EXPECT_THAT(logs_.Lines("warning"),
              Contains(AllOf(HasSubstr("grpc Publish from "),
                             HasSubstr("invalid UTF-8 in string field "
                                       "event.event_type"))));
}

}  // namespace
}  // namespace streamgate
