// DiagnoseWireBytes / ParseRequest: requests protobuf refuses get a reason
// that names the fault (invalid UTF-8 and the field's path, nesting past
// the recursion limit, malformed bytes), and protobuf really refuses each
// of them — the diagnosis is never run on bytes that parse. Requests that
// parse are read in place, across slices.
#include "adapters/grpc/wire_diagnosis.h"

#include <string>
#include <vector>

#include "adapters/grpc/request_parser.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "streamgate/v1/gateway.pb.h"
#include "tests/adapters/grpc/grpc_test_util.h"

namespace streamgate {
namespace {

using testing::BytesField;
using ::testing::HasSubstr;
using testing::NestedStruct;
using testing::VarintField;

constexpr int kLimit = 100;  // protobuf's default recursion limit

std::string Diagnose(const google::protobuf::Descriptor* type,
                     const std::string& bytes) {
  return DiagnoseWireBytes(*type, bytes, kLimit);
}

// The bytes as gRPC could hand them over: split into `parts` slices.
grpc::ByteBuffer Buffer(const std::string& bytes, size_t parts = 1) {
  std::vector<grpc::Slice> slices;
  const size_t step = bytes.size() / parts + 1;
  for (size_t i = 0; i < bytes.size(); i += step) {
    slices.emplace_back(bytes.substr(i, step));
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

const auto* kEvent = v1::Event::descriptor();
const auto* kPublish = v1::PublishRequest::descriptor();

TEST(IsValidUtf8, FollowsRfc3629) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff\xfe"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("a\x80z"));            // stray continuation
}

TEST(DiagnoseWireBytes, InvalidUtf8NamesTheField) {
  EXPECT_EQ(Diagnose(kEvent, BytesField(1, "\xff\xfe") + VarintField(4, 7)),
            "invalid UTF-8 in string field event_type");
  // Inside a batch: the item's path, with the repeated index.
  std::string good = BytesField(1, "ok");
  std::string bad = BytesField(7, "10.0.0.\xc0");
  std::string batch = BytesField(1, good) + BytesField(1, bad);
  EXPECT_EQ(Diagnose(kPublish, VarintField(1, 9) + BytesField(4, batch)),
            "invalid UTF-8 in string field batch.events[1].origin_device_ip");
  // A Struct key is a string too (map<string, Value>).
  std::string entry = BytesField(1, "k\xff") + BytesField(2, "");
  EXPECT_EQ(Diagnose(kEvent,
                     BytesField(1, "t") + BytesField(2, BytesField(1, entry))),
            "invalid UTF-8 in string field event_data.fields[0].key");
  // bytes fields and unknown fields are not text.
  EXPECT_EQ(Diagnose(v1::BulkData::descriptor(),
                     BytesField(3, "\xff") + BytesField(99, "\xff")),
            "");
}

TEST(DiagnoseWireBytes, NestingPastTheLimit) {
  const std::string deep =
      BytesField(1, "deep") + BytesField(2, NestedStruct(150));
  EXPECT_EQ(Diagnose(kEvent, deep),
            "nesting deeper than 100 levels (in event_data)");
  EXPECT_EQ(
      Diagnose(kEvent, BytesField(1, "ok") + BytesField(2, NestedStruct(5))),
      "");
}

TEST(DiagnoseWireBytes, MalformedBytes) {
  EXPECT_EQ(Diagnose(kEvent,
                     "\x0a\x05"
                     "ab"),  // length past the end
            "malformed protobuf bytes (at byte 0)");
  EXPECT_EQ(Diagnose(kEvent, BytesField(1, "ok") + "\x07"),  // wire type 7
            "malformed protobuf bytes (at byte 4)");
  EXPECT_EQ(Diagnose(kEvent, "\x20\xff\xff"),  // varint cut short
            "malformed protobuf bytes (at byte 0)");
  EXPECT_EQ(Diagnose(kEvent, std::string("\x00", 1)),
            "malformed protobuf bytes (at byte 0)");
  // An unknown group is skipped when closed, a fault when not.
  EXPECT_EQ(Diagnose(kEvent,
                     "\x9b\x06"
                     "\x08\x01"
                     "\x9c\x06"),
            "");
  EXPECT_EQ(Diagnose(kEvent,
                     "\x9b\x06"
                     "\x08\x01"),
            "malformed protobuf bytes (at byte 4)");
}

TEST(TopLevelVarint, FindsTheIdOfAnItemThatDoesNotParse) {
  const std::string bad_event = BytesField(1, "\xff");
  EXPECT_EQ(
      TopLevelVarint(VarintField(1, 7000000001) + BytesField(2, bad_event), 1),
      7000000001u);
  EXPECT_EQ(TopLevelVarint(BytesField(2, bad_event) + VarintField(1, 3), 1),
            3u);
  EXPECT_EQ(TopLevelVarint(BytesField(2, bad_event), 1), absl::nullopt);
  EXPECT_EQ(TopLevelVarint("\xff\xff", 1), absl::nullopt);
}

TEST(ParseRequest, ReadsValidRequestsAcrossSlices) {
  v1::PublishRequest req;
  req.set_id(42);
  auto* e = req.mutable_batch()->add_events();
  e->set_event_type(std::string(300, 'x'));
  (*e->mutable_event_data()->mutable_fields())["k"].set_string_value("v");
  const std::string bytes = req.SerializeAsString();
  for (size_t parts : {1, 3, 50}) {
    v1::PublishRequest out;
    out.set_id(1);  // cleared first
    out.mutable_bulk_data()->set_label("stale");
    ASSERT_TRUE(ParseRequest(Buffer(bytes, parts), out).ok()) << parts;
    EXPECT_EQ(out.SerializeAsString(), bytes) << parts;
  }
  v1::Event empty;
  empty.set_event_type("stale");
  EXPECT_TRUE(ParseRequest(grpc::ByteBuffer(), empty).ok());
  EXPECT_EQ(empty.event_type(), "");
}

TEST(ParseRequest, RefusedBytesGetTheDiagnosis) {
  struct Case {
    std::string bytes;
    std::string why;
  };
  const std::vector<Case> cases = {
      {BytesField(1, "\xff\xfe") + VarintField(4, 7),
       "invalid UTF-8 in string field event_type"},
      {BytesField(1, "deep") + BytesField(2, NestedStruct(150)),
       "nesting deeper than 100 levels (in event_data)"},
      {"\x0a\x05"
       "ab",
       "malformed protobuf bytes (at byte 0)"},
  };
  for (const Case& c : cases) {
    // protobuf itself refuses them (the diagnosis only explains).
    v1::Event direct;
    EXPECT_FALSE(direct.ParseFromString(c.bytes)) << c.why;
    for (size_t parts : {1, 4}) {
      v1::Event out;
      absl::Status st = ParseRequest(Buffer(c.bytes, parts), out);
      EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(st.message(),
                "request is not a valid streamgate.v1.Event: " + c.why);
    }
  }
  v1::PublishRequest req;
  absl::Status st = ParseRequest(
      Buffer(VarintField(1, 5) + BytesField(3, BytesField(2, "\xff"))), req);
  EXPECT_EQ(st.message(),
            "request is not a valid streamgate.v1.PublishRequest: "
            "invalid UTF-8 in string field bulk_data.label");
  EXPECT_EQ(PeekVarintField(Buffer(VarintField(1, 5) + BytesField(3, "")), 1),
            5u);
}

}  // namespace
}  // namespace streamgate
