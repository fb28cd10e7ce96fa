// AggregateBuilder's size accounting and limits: size() is exact at every
// step, a record that would pass max_bytes is refused (and nothing of it is
// kept), the first record is taken whatever its size, and Finish() leaves a
// builder that encodes the next aggregate from scratch.
#include "sinks/kinesis/aggregation/aggregate_builder.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sinks/kinesis/aggregation/deaggregator.h"

namespace streamgate::kinesis {
namespace {

TEST(AggregateBuilderTest, SizeIsExactAfterEveryAdd) {
  AggregateBuilder builder(1 << 20);
  EXPECT_EQ(builder.size(), 0u);
  for (int i = 0; i < 300; ++i) {
    const std::string key = absl::StrCat("device-", i % 70);
    const std::string data(i * 5 % 400, 'x');
    const std::string hash_key = i % 3 == 0 ? absl::StrCat(i % 9) : "";
    const size_t predicted = builder.SizeWith(key, data.size(), hash_key);
    ASSERT_TRUE(builder.Add(key, data, hash_key));
    ASSERT_EQ(builder.size(), predicted) << "record " << i;
    ASSERT_EQ(builder.size(),
              builder.data_size() + std::string("device-0").size());
    // Encoding a copy shows the accounting equals the real bytes.
    AggregateBuilder copy = builder;
    ASSERT_EQ(copy.Finish().size(), builder.data_size()) << "record " << i;
  }
}

TEST(AggregateBuilderTest, SizeWithRunIsWhatAddingTheRunMakes) {
  AggregateBuilder builder(1 << 20);
  ASSERT_TRUE(builder.Add("other", "x"));
  for (const std::string key : {"new-key", "other"}) {
    AggregateBuilder copy = builder;
    const std::vector<size_t> sizes = {0, 1, 200, 20000};
    const size_t predicted = copy.SizeWithRun(key, sizes);
    for (size_t n : sizes) ASSERT_TRUE(copy.Add(key, std::string(n, 'r')));
    EXPECT_EQ(copy.size(), predicted) << key;
  }
  AggregateBuilder empty(1 << 20);
  const size_t predicted = empty.SizeWithRun("k", {5, 6});
  ASSERT_TRUE(empty.Add("k", "55555"));
  ASSERT_TRUE(empty.Add("k", "666666"));
  EXPECT_EQ(empty.size(), predicted);
}

TEST(AggregateBuilderTest, RefusesTheRecordThatWouldOverflow) {
  const size_t max_bytes = 1000;
  AggregateBuilder builder(max_bytes);
  const std::string data(150, 'e');
  int added = 0;
  while (builder.Add(absl::StrCat("dev-", added), data)) ++added;
  // 165 bytes a record (data, key-table entry, framing); magic, MD5 and
  // the outer key once: 25 + 5 * 165 = 850, a sixth would make 1015.
  EXPECT_EQ(added, 5);
  EXPECT_LE(builder.size(), max_bytes);
  EXPECT_GT(builder.SizeWith(absl::StrCat("dev-", added), data.size()),
            max_bytes);
  // The refused record left no trace: what is encoded holds the five.
  const size_t size_before = builder.data_size();
  const std::string encoded = builder.Finish();
  EXPECT_EQ(encoded.size(), size_before);
  auto records = Deaggregate(encoded);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 5u);
  EXPECT_EQ((*records)[4].partition_key, "dev-4");
}

TEST(AggregateBuilderTest, FirstRecordIsTakenWhateverItsSize) {
  AggregateBuilder builder(100);
  const std::string big(500, 'b');
  EXPECT_TRUE(builder.Add("k", big));
  EXPECT_GT(builder.size(), 100u);
  EXPECT_FALSE(builder.Add("k", "small"));
  EXPECT_EQ(builder.record_count(), 1u);
}

TEST(AggregateBuilderTest, SizeCountsTheOuterKeyLikeKinesis) {
  AggregateBuilder builder(51200);
  ASSERT_TRUE(builder.Add("first-key", "data"));
  ASSERT_TRUE(builder.Add("second", "data"));
  EXPECT_EQ(builder.outer_partition_key(), "first-key");
  EXPECT_EQ(builder.size(), builder.data_size() + 9);
}

TEST(AggregateBuilderTest, FinishStartsAFreshAggregate) {
  AggregateBuilder builder(51200);
  ASSERT_TRUE(builder.Add("a", "1"));
  ASSERT_TRUE(builder.Add("b", "2", "42"));
  const std::string first = builder.Finish();
  EXPECT_TRUE(builder.empty());
  EXPECT_EQ(builder.size(), 0u);
  EXPECT_EQ(builder.Finish(), "");
  ASSERT_TRUE(builder.Add("b", "2"));
  const std::string second = builder.Finish();
  auto records = Deaggregate(second);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  // "b" is index 0 of the new table, with no hash key carried over.
  EXPECT_EQ((*records)[0].partition_key, "b");
  EXPECT_EQ((*records)[0].explicit_hash_key, "");
  AggregateBuilder fresh(51200);
  ASSERT_TRUE(fresh.Add("a", "1"));
  ASSERT_TRUE(fresh.Add("b", "2", "42"));
  EXPECT_EQ(fresh.Finish(), first);
}

TEST(AggregateBuilderTest, ClearDropsEverything) {
  AggregateBuilder builder(51200);
  ASSERT_TRUE(builder.Add("a", "1"));
  builder.Clear();
  EXPECT_TRUE(builder.empty());
  ASSERT_TRUE(builder.Add("z", "9"));
  EXPECT_EQ(builder.outer_partition_key(), "z");
  const std::string encoded = builder.Finish();
  auto records = Deaggregate(encoded);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].data, "9");
}

}  // namespace
}  // namespace streamgate::kinesis
