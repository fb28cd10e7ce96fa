// The encoder's bytes equal magic + `protoc --encode` of the same
// AggregatedRecord + `openssl dgst -md5` of it: a small record by hand, and
// a large one whose indices, lengths and record sizes need multi-byte
// varints.
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sinks/kinesis/aggregation/aggregate_builder.h"
#include "tests/sinks/kinesis/aggregation/reference_encoding.h"

namespace streamgate::kinesis {
namespace {

using testing::ReferenceAggregate;
using testing::TextBytes;

TEST(AggregateReferenceTest, SmallRecordMatchesProtocAndMd5) {
  AggregateBuilder builder(51200);
  const std::string binary("\x00\xff\x10\"\\\n", 6);
  ASSERT_TRUE(builder.Add("device-1", "{\"t\":1}"));
  ASSERT_TRUE(builder.Add("device-2", binary));
  ASSERT_TRUE(builder.Add("device-1", ""));  // key reused, empty data
  ASSERT_TRUE(
      builder.Add("device-3", "x", "170141183460469231731687303715884105728"));
  ASSERT_TRUE(
      builder.Add("device-2", "y", "170141183460469231731687303715884105728"));
  const std::string text = absl::StrCat(
      "partition_key_table: \"device-1\"\n"
      "partition_key_table: \"device-2\"\n"
      "partition_key_table: \"device-3\"\n"
      "explicit_hash_key_table: \"170141183460469231731687303715884105728\"\n"
      "records { partition_key_index: 0 data: ",
      TextBytes("{\"t\":1}"),
      " }\n"
      "records { partition_key_index: 1 data: ",
      TextBytes(binary),
      " }\n"
      "records { partition_key_index: 0 data: \"\" }\n"
      "records { partition_key_index: 2 explicit_hash_key_index: 0 "
      "data: \"x\" }\n"
      "records { partition_key_index: 1 explicit_hash_key_index: 0 "
      "data: \"y\" }\n");
  const std::string expected = ReferenceAggregate(text);
  ASSERT_EQ(expected.substr(0, 4), kKplMagic);
  EXPECT_EQ(builder.outer_partition_key(), "device-1");
  const size_t reported = builder.data_size();
  const std::string got = builder.Finish();
  EXPECT_EQ(got, expected);
  EXPECT_EQ(got.size(), reported);
  EXPECT_TRUE(builder.empty());
}

TEST(AggregateReferenceTest, MultiByteVarintsMatchProtoc) {
  // 200 records over 150 keys (indices past 127), data of 0..299 bytes
  // (lengths past 127), one of 20,000 bytes (a three-byte length).
  AggregateBuilder builder(1 << 20);
  std::string keys_text, records_text;
  for (int i = 0; i < 150; ++i) {
    absl::StrAppend(&keys_text, "partition_key_table: \"key-", i, "\"\n");
  }
  for (int i = 0; i < 200; ++i) {
    const int key = (i * 7) % 150;
    std::string data(i == 100 ? 20000 : (i * 3) % 300, 'a' + i % 26);
    if (i < 150) {
      // The first 150 records use every key once, in table order.
      ASSERT_TRUE(builder.Add(absl::StrCat("key-", i), data));
      absl::StrAppend(&records_text, "records { partition_key_index: ", i,
                      " data: ", TextBytes(data), " }\n");
    } else {
      ASSERT_TRUE(builder.Add(absl::StrCat("key-", key), data));
      absl::StrAppend(&records_text, "records { partition_key_index: ", key,
                      " data: ", TextBytes(data), " }\n");
    }
  }
  const size_t reported = builder.data_size();
  const std::string got = builder.Finish();
  EXPECT_EQ(got, ReferenceAggregate(keys_text + records_text));
  EXPECT_EQ(got.size(), reported);
}

}  // namespace
}  // namespace streamgate::kinesis
