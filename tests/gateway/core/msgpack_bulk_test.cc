// The bulk-data MessagePack decoder (spec 1.2). Payloads are hand-assembled
// bytes, so the tests do not depend on an encoder agreeing with the decoder.
#include "gateway/core/msgpack_bulk.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Bytes from a list of byte values (std::string handles embedded zeros).
std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

const std::string kVersion = B({0xa3, '1', '.', '0'});  // fixstr "1.0"

std::vector<std::string> DecodeOk(const std::string& payload) {
  auto r = DecodeBulkPayload(payload);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : std::vector<std::string>{"<decode failed>"};
}

// Expects a rejection and returns its message.
std::string DecodeErr(const std::string& payload) {
  auto r = DecodeBulkPayload(payload);
  EXPECT_FALSE(r.ok()) << "decoded " << (r.ok() ? r->size() : 0)
                       << " records from a payload that must be refused";
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("msgpack_payload"));
  return std::string(r.status().message());
}

TEST(DecodeBulkPayloadTest, VersionOnlyIsAnEmptyList) {
  EXPECT_THAT(DecodeOk(kVersion), IsEmpty());
}

TEST(DecodeBulkPayloadTest, Bin8Records) {
  EXPECT_THAT(DecodeOk(kVersion + B({0xc4, 2, 'a', 'b', 0xc4, 1, 0x00})),
              ElementsAre("ab", std::string(1, '\0')));
}

TEST(DecodeBulkPayloadTest, EmptyBinIsAnEmptyRecord) {
  EXPECT_THAT(DecodeOk(kVersion + B({0xc4, 0, 0xc4, 1, 'z', 0xc4, 0})),
              ElementsAre("", "z", ""));
}

TEST(DecodeBulkPayloadTest, Bin16AndBin32) {
  const std::string big(300, '\xab');
  std::string p = kVersion + B({0xc5, 0x01, 0x2c}) + big  // bin16, 300 bytes
                  + B({0xc6, 0, 0, 0, 3, 'x', 'y', 'z'})   // bin32, 3 bytes
                  + B({0xc5, 0, 0});                       // bin16, empty
  EXPECT_THAT(DecodeOk(p), ElementsAre(big, "xyz", ""));
}

TEST(DecodeBulkPayloadTest, StrFamilyAccepted) {
  std::string p = kVersion + B({0xa2, 'h', 'i'})         // fixstr
                  + B({0xd9, 3, 'a', 'b', 'c'})          // str8
                  + B({0xda, 0, 2, 'd', 'e'})            // str16
                  + B({0xdb, 0, 0, 0, 1, 'f'})           // str32
                  + B({0xa0});                           // empty fixstr
  EXPECT_THAT(DecodeOk(p), ElementsAre("hi", "abc", "de", "f", ""));
}

TEST(DecodeBulkPayloadTest, MixedBinAndStrKeepOrderAndBytes) {
  std::string p = kVersion + B({0xc4, 3, 0xff, 0x00, 0x80}) +
                  B({0xa3, 0xe2, 0x82, 0xac})  // "€"
                  + B({0xd9, 1, '{'}) + B({0xc5, 0, 1, 0x7f});
  EXPECT_THAT(DecodeOk(p), ElementsAre(B({0xff, 0x00, 0x80}), "\xe2\x82\xac",
                                       "{", "\x7f"));
}

TEST(DecodeBulkPayloadTest, FixArrayForm) {
  EXPECT_THAT(DecodeOk(kVersion + B({0x92, 0xc4, 1, 'a', 0xa1, 'b'})),
              ElementsAre("a", "b"));
}

TEST(DecodeBulkPayloadTest, Array16Form) {
  EXPECT_THAT(
      DecodeOk(kVersion + B({0xdc, 0, 3, 0xc4, 1, '1', 0xc4, 1, '2', 0xc4, 0})),
      ElementsAre("1", "2", ""));
}

TEST(DecodeBulkPayloadTest, Array32Form) {
  EXPECT_THAT(DecodeOk(kVersion + B({0xdd, 0, 0, 0, 1, 0xc4, 1, 'x'})),
              ElementsAre("x"));
}

TEST(DecodeBulkPayloadTest, EmptyArrayIsAnEmptyList) {
  EXPECT_THAT(DecodeOk(kVersion + B({0x90})), IsEmpty());
  EXPECT_THAT(DecodeOk(kVersion + B({0xdc, 0, 0})), IsEmpty());
}

TEST(DecodeBulkPayloadTest, ManyRecords) {
  std::string p = kVersion;
  std::vector<std::string> want;
  for (int i = 0; i < 2000; ++i) {
    const std::string r = "r" + std::to_string(i);
    p += B({0xc4, static_cast<int>(r.size())}) + r;
    want.push_back(r);
  }
  EXPECT_EQ(DecodeOk(p), want);
}

// --- rejections -----------------------------------------------------------

TEST(DecodeBulkPayloadRejectTest, EmptyPayload) {
  EXPECT_THAT(DecodeErr(""), HasSubstr("empty"));
}

TEST(DecodeBulkPayloadRejectTest, WrongVersionString) {
  EXPECT_THAT(DecodeErr(B({0xa3, '1', '.', '1', 0xc4, 1, 'a'})),
              HasSubstr("1.0"));
  DecodeErr(B({0xa3, '2', '.', '0'}));
  DecodeErr(B({0xa2, '1', '.'}));
  DecodeErr(B({0xa4, '1', '.', '0', '0'}));
}

TEST(DecodeBulkPayloadRejectTest, VersionAsBin) {
  DecodeErr(B({0xc4, 3, '1', '.', '0', 0xc4, 1, 'a'}));
}

TEST(DecodeBulkPayloadRejectTest, VersionAsIntOrFloatOrNil) {
  DecodeErr(B({0x01, 0xc4, 1, 'a'}));
  DecodeErr(B({0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));  // float64 1.0
  DecodeErr(B({0xc0}));
}

TEST(DecodeBulkPayloadRejectTest, RecordsWithoutVersion) {
  DecodeErr(B({0xc4, 1, 'a', 0xc4, 1, 'b'}));
  DecodeErr(B({0x91, 0xc4, 1, 'a'}));  // an array first
}

TEST(DecodeBulkPayloadRejectTest, IntegerElement) {
  EXPECT_THAT(DecodeErr(kVersion + B({0xc4, 1, 'a', 0x05})),
              HasSubstr("integer"));
  DecodeErr(kVersion + B({0xff}));        // negative fixint
  DecodeErr(kVersion + B({0xcc, 200}));   // uint8
}

TEST(DecodeBulkPayloadRejectTest, NilElement) {
  DecodeErr(kVersion + B({0xc0}));
}

TEST(DecodeBulkPayloadRejectTest, MapElement) {
  DecodeErr(kVersion + B({0x80}));                         // empty fixmap
  DecodeErr(kVersion + B({0x81, 0xa1, 'k', 0xc4, 1, 'v'}));
}

TEST(DecodeBulkPayloadRejectTest, ExtElement) {
  DecodeErr(kVersion + B({0xd4, 0x01, 0x00}));             // fixext1
  DecodeErr(kVersion + B({0xc7, 2, 0x05, 'a', 'b'}));      // ext8
}

TEST(DecodeBulkPayloadRejectTest, FloatElement) {
  DecodeErr(kVersion + B({0xca, 0x3f, 0x80, 0, 0}));       // float32 1.0
  DecodeErr(kVersion + B({0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0}));
}

TEST(DecodeBulkPayloadRejectTest, BoolElement) {
  DecodeErr(kVersion + B({0xc3}));
  DecodeErr(kVersion + B({0xc2}));
}

TEST(DecodeBulkPayloadRejectTest, NonBytesInsideTheArray) {
  DecodeErr(kVersion + B({0x92, 0xc4, 1, 'a', 0x01}));
  DecodeErr(kVersion + B({0x92, 0xc4, 1, 'a', 0xc0}));
  DecodeErr(kVersion + B({0x91, 0x80}));
}

TEST(DecodeBulkPayloadRejectTest, NestedArray) {
  DecodeErr(kVersion + B({0x91, 0x91, 0xc4, 1, 'a'}));
  DecodeErr(kVersion + B({0x91, 0x90}));
}

TEST(DecodeBulkPayloadRejectTest, ArrayNotInSecondPosition) {
  DecodeErr(kVersion + B({0xc4, 1, 'a', 0x91, 0xc4, 1, 'b'}));
  DecodeErr(kVersion + B({0xc4, 1, 'a', 0x90}));
}

TEST(DecodeBulkPayloadRejectTest, ArrayFollowedByTrailingData) {
  EXPECT_THAT(
      DecodeErr(kVersion + B({0x91, 0xc4, 1, 'a', 0xc4, 1, 'b'})),
      HasSubstr("trailing"));
  DecodeErr(kVersion + B({0x90, 0xc4, 1, 'b'}));
}

TEST(DecodeBulkPayloadRejectTest, TwoArrays) {
  DecodeErr(kVersion + B({0x91, 0xc4, 1, 'a', 0x91, 0xc4, 1, 'b'}));
  DecodeErr(kVersion + B({0x90, 0x90}));
}

TEST(DecodeBulkPayloadRejectTest, TruncatedVersion) {
  DecodeErr(B({0xa3, '1', '.'}));
  DecodeErr(B({0xa3}));
}

TEST(DecodeBulkPayloadRejectTest, TruncatedHeader) {
  DecodeErr(kVersion + B({0xc4}));              // bin8 without its length
  DecodeErr(kVersion + B({0xc5, 0x00}));        // bin16 length cut
  DecodeErr(kVersion + B({0xc6, 0, 0, 0}));     // bin32 length cut
  DecodeErr(kVersion + B({0xdc, 0x00}));        // array16 count cut
  DecodeErr(kVersion + B({0xc4, 1, 'a', 0xd9})); // str8 after a good record
}

TEST(DecodeBulkPayloadRejectTest, TruncatedBody) {
  DecodeErr(kVersion + B({0xc4, 5, 'a', 'b'}));
  DecodeErr(kVersion + B({0xc5, 0x01, 0x00}) + std::string(255, 'x'));
  DecodeErr(kVersion + B({0xa5, 'a'}));
  DecodeErr(kVersion + B({0x92, 0xc4, 1, 'a'}));  // array missing an element
}

TEST(DecodeBulkPayloadRejectTest, TrailingGarbageByte) {
  DecodeErr(kVersion + B({0xc4, 1, 'a', 0xc1}));  // 0xc1 is never used
  DecodeErr(kVersion + B({0xc1}));
}

TEST(DecodeBulkPayloadRejectTest, HugeArray32CountWithNoDataFailsCleanly) {
  // 2^32-1 elements claimed, none present: must be refused without trying to
  // reserve room for four billion records.
  DecodeErr(kVersion + B({0xdd, 0xff, 0xff, 0xff, 0xff}));
  DecodeErr(kVersion + B({0xdd, 0xff, 0xff, 0xff, 0xff, 0xc4, 1, 'a'}));
}

TEST(DecodeBulkPayloadRejectTest, HugeBin32LengthWithNoDataFailsCleanly) {
  DecodeErr(kVersion + B({0xc6, 0xff, 0xff, 0xff, 0xff, 'a'}));
}

}  // namespace
}  // namespace streamgate
