// Rejections on the Publish stream are logged (they were never logged,
// unlike unary ones): a WARN line per rejected item with its client-chosen
// id, its kind and the reason it was answered with, client strings escaped.
// Unary rejection lines escape client strings too. Runs an in-process
// GrpcAdapter over a FakeIngest that refuses on cue; the rate limit itself
// is tested in reject_log_test.cc (every item here has its own kind).
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "streamgate/v1/gateway.grpc.pb.h"
#include "tests/adapters/grpc/grpc_test_util.h"

namespace streamgate {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

constexpr char kForged[] =
    "bad module 'files': boom\n2026-01-01T00:00:00.000Z error forged";

// Refuses like the core would: an empty event_type, a negative home_id, a
// "bad..." event type (quoting it), any MessagePack payload.
absl::Status Refuse(const testing::FakeIngest::Call& call) {
  if (call.event != nullptr) {
    if (call.event->event_type.empty()) {
      return absl::InvalidArgumentError("event_type: must not be empty");
    }
    if (call.event->home_id < 0) {
      return absl::InvalidArgumentError("events[1].home_id: must be >= 0");
    }
    if (absl::StartsWith(call.event->event_type, "bad")) {
      return absl::InvalidArgumentError(
          absl::StrCat("event_type: '", call.event->event_type, "' refused"));
    }
  }
  if (call.bulk != nullptr && call.bulk->msgpack_payload) {
    return absl::InvalidArgumentError("msgpack_payload: not a map");
  }
  return absl::OkStatus();
}

class StreamLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_.ingest.SetResponder(&Refuse);
    ASSERT_TRUE(harness_.Start().ok());
    stub_ = v1::Gateway::NewStub(harness_.Channel());
  }

  // Sends `items` over one stream; the answers by id.
  std::map<uint64_t, std::pair<int, std::string>> Publish(
      const std::vector<v1::PublishRequest>& items) {
    auto ctx = testing::CallContext();
    auto stream = stub_->Publish(ctx.get());
    for (const auto& item : items) stream->Write(item);
    stream->WritesDone();
    std::map<uint64_t, std::pair<int, std::string>> answers;
    v1::PublishResponse resp;
    while (stream->Read(&resp))
      answers[resp.id()] = {resp.code(), resp.message()};
    EXPECT_TRUE(stream->Finish().ok());
    return answers;
  }

  static v1::Event Event(const std::string& type, int64_t home) {
    v1::Event e;
    e.set_event_type(type);
    e.set_home_id(home);
    return e;
  }

  // The WARN line naming stream item `id`, or "".
  std::string LineFor(uint64_t id) {
    for (const std::string& l : logs_.Lines("warning")) {
      if (absl::StrContains(l, absl::StrCat(" item ", id, " "))) return l;
    }
    return "";
  }

  testing::LogCapture logs_;  // outlives the adapter
  testing::AdapterHarness harness_;
  std::unique_ptr<v1::Gateway::Stub> stub_;
};

TEST_F(StreamLogTest, EveryRejectedItemIsLoggedWithItsIdKindAndReason) {
  std::vector<v1::PublishRequest> items(5);
  items[0].set_id(7000000001);
  *items[0].mutable_event() = Event("", 7);
  items[1].set_id(7000000002);
  *items[1].mutable_event() = Event("ok", 7);
  items[2].set_id(7000000003);
  items[2].mutable_bulk_data()->set_device_id(42);
  items[2].mutable_bulk_data()->set_label("logs");
  items[2].mutable_bulk_data()->set_msgpack_payload("\xa3not-a-map");
  items[3].set_id(7000000004);
  *items[3].mutable_batch()->add_events() = Event("ok", 7);
  *items[3].mutable_batch()->add_events() = Event("x", -1);
  items[4].set_id(7000000005);  // no item

  const auto answers = Publish(items);
  const int kInvalid = static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(
      answers,
      ElementsAre(Pair(7000000001,
                       Pair(kInvalid, "event.event_type: must not be empty")),
                  Pair(7000000002, Pair(0, "")),
                  Pair(7000000003,
                       Pair(kInvalid, "bulk_data.msgpack_payload: not a map")),
                  Pair(7000000004,
                       Pair(kInvalid, "batch.events[1].home_id: must be >= 0")),
                  Pair(7000000005, Pair(kInvalid,
                                        "item: one of event, bulk_data or "
                                        "batch is required"))));
  for (const auto& [id, answer] : answers) {
    if (answer.first == 0) {
      EXPECT_EQ(LineFor(id), "") << id;
      continue;
    }
    const std::string line = LineFor(id);
    EXPECT_THAT(line,
                AllOf(HasSubstr("grpc Publish from "),
                      HasSubstr(absl::StrCat(" rejected: ", answer.second))))
        << id << "\n"
        << logs_.text();
  }
  EXPECT_THAT(LineFor(7000000001), HasSubstr("(event)"));
  EXPECT_THAT(LineFor(7000000003), HasSubstr("(bulk_data)"));
  EXPECT_THAT(LineFor(7000000004), HasSubstr("(batch)"));
  EXPECT_THAT(LineFor(7000000005), HasSubstr("(publish)"));
  // The item with nothing set is also a door reject, as before.
  EXPECT_THAT(harness_.rejects.seen(),
              Contains(Pair("publish",
                            "item: one of event, bulk_data or batch "
                            "is required")));
}

TEST_F(StreamLogTest, AdapterRefusalsAreLoggedToo) {
  v1::PublishRequest item;
  item.set_id(31);
  *item.mutable_event() = Event("ok", 7);
  item.mutable_event()->mutable_timestamp()->set_nanos(-1);
  const auto answers = Publish({item});
  ASSERT_EQ(answers.count(31), 1u);
  EXPECT_EQ(answers.at(31).second,
            "event.timestamp.nanos: must be in [0, 999999999]");
  EXPECT_THAT(LineFor(31),
              HasSubstr("(event) rejected: event.timestamp.nanos: must be in "
                        "[0, 999999999]"));
  EXPECT_THAT(harness_.rejects.seen(),
              ElementsAre(Pair("event",
                               "event.timestamp.nanos: must be in "
                               "[0, 999999999]")));
}

TEST_F(StreamLogTest, ClientStringsAreEscapedInStreamAndUnaryLines) {
  v1::PublishRequest item;
  item.set_id(55);
  *item.mutable_event() = Event(kForged, 7);
  Publish({item});

  v1::PublishResponse r;
  EXPECT_EQ(
      stub_->PublishEvent(testing::CallContext().get(), Event(kForged, 7), &r)
          .error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  v1::BulkData bulk;
  bulk.set_device_id(42);
  bulk.set_label(kForged);
  bulk.set_msgpack_payload("\xa3not-a-map");
  EXPECT_EQ(stub_->PublishBulkData(testing::CallContext().get(), bulk, &r)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  const std::string text = logs_.text();
  EXPECT_THAT(LineFor(55),
              HasSubstr("boom\\n2026-01-01T00:00:00.000Z error forged"));
  EXPECT_THAT(logs_.Lines("error"),
              ElementsAre(AllOf(HasSubstr("grpc PublishEvent from "),
                                HasSubstr("boom\\n2026-01-01")),
                          AllOf(HasSubstr("grpc PublishBulkData from "),
                                HasSubstr("label 'bad module 'files': "
                                          "boom\\n2026-01-01"))));
  // No line starts with the forged text: every newline was escaped.
  EXPECT_THAT(text, Not(HasSubstr("\n2026-01-01T00:00:00.000Z")));
}

}  // namespace
}  // namespace streamgate
