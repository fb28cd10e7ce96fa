// ShardMap: MD5 hash keys, ListShards pages, lookups at range edges, gaps
// and reshards; DescribeStreamSummary's record size limit.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sinks/kinesis/shard_map.h"

namespace streamgate::kinesis {
namespace {

const absl::uint128 kMax = absl::Uint128Max();

ShardRange Range(std::string id, absl::uint128 start, absl::uint128 end) {
  return ShardRange{std::move(id), start, end};
}

TEST(ShardMapTest, HashKeyIsMd5BigEndian) {
  // md5("") = d41d8cd98f00b204e9800998ecf8427e
  EXPECT_EQ(HashKeyOf(""),
            absl::MakeUint128(0xd41d8cd98f00b204ULL, 0xe9800998ecf8427eULL));
  // md5("42") = a1d0c6e83f027327d8461063f4ac58a6
  EXPECT_EQ(HashKeyOf("42"),
            absl::MakeUint128(0xa1d0c6e83f027327ULL, 0xd8461063f4ac58a6ULL));
}

TEST(ShardMapTest, ParsesDecimalHashKeys) {
  EXPECT_EQ(*ParseHashKey("0"), absl::uint128(0));
  EXPECT_EQ(*ParseHashKey("340282366920938463463374607431768211455"), kMax);
  EXPECT_EQ(*ParseHashKey("170141183460469231731687303715884105728"),
            absl::MakeUint128(0x8000000000000000ULL, 0));
  EXPECT_FALSE(ParseHashKey("340282366920938463463374607431768211456").ok());
  EXPECT_FALSE(ParseHashKey("").ok());
  EXPECT_FALSE(ParseHashKey("-1").ok());
  EXPECT_FALSE(ParseHashKey("12a").ok());
  EXPECT_FALSE(ParseHashKey(std::string(40, '1')).ok());
}

TEST(ShardMapTest, LookupAtRangeEdges) {
  const absl::uint128 half = absl::MakeUint128(0x8000000000000000ULL, 0);
  auto map =
      ShardMap::Build({Range("shardId-1", half, kMax), Range("shardId-0", 0, half - 1)});
  ASSERT_TRUE(map.ok());
  ASSERT_EQ(map->size(), 2u);
  EXPECT_EQ(map->shards()[0].shard_id, "shardId-0");  // sorted
  EXPECT_EQ(*map->Lookup(0), 0u);
  EXPECT_EQ(*map->Lookup(half - 1), 0u);
  EXPECT_EQ(*map->Lookup(half), 1u);
  EXPECT_EQ(*map->Lookup(kMax), 1u);
  // md5("42") starts with 0xa1: the upper half.
  EXPECT_EQ(*map->Lookup(HashKeyOf("42")), 1u);
}

TEST(ShardMapTest, GapsAndEmptyMapFindNothing) {
  auto map = ShardMap::Build({Range("a", 10, 19), Range("b", 30, 39)});
  ASSERT_TRUE(map.ok());
  EXPECT_FALSE(map->Lookup(9));
  EXPECT_FALSE(map->Lookup(20));
  EXPECT_FALSE(map->Lookup(29));
  EXPECT_EQ(*map->Lookup(30), 1u);
  EXPECT_FALSE(map->Lookup(40));
  EXPECT_FALSE(ShardMap().Lookup(0));
}

TEST(ShardMapTest, OverlappingRangesAreRefused) {
  EXPECT_FALSE(ShardMap::Build({Range("a", 0, 20), Range("b", 20, 39)}).ok());
}

TEST(ShardMapTest, ParsesPagesAndDropsClosedShards) {
  // After a split of shard 0: the parent is closed (EndingSequenceNumber),
  // its children are open.
  const std::string body = R"({"Shards":[
    {"ShardId":"shardId-000000000000","HashKeyRange":{"StartingHashKey":"0",
      "EndingHashKey":"340282366920938463463374607431768211455"},
      "SequenceNumberRange":{"StartingSequenceNumber":"1","EndingSequenceNumber":"9"}},
    {"ShardId":"shardId-000000000001","HashKeyRange":{"StartingHashKey":"0",
      "EndingHashKey":"170141183460469231731687303715884105727"},
      "SequenceNumberRange":{"StartingSequenceNumber":"10"}},
    {"ShardId":"shardId-000000000002","HashKeyRange":{
      "StartingHashKey":"170141183460469231731687303715884105728",
      "EndingHashKey":"340282366920938463463374607431768211455"},
      "SequenceNumberRange":{"StartingSequenceNumber":"11"}}],
    "NextToken":"page-2"})";
  auto page = ParseListShardsPage(body);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->next_token, "page-2");
  EXPECT_EQ(page->closed_shards, 1u);
  ASSERT_EQ(page->open_shards.size(), 2u);
  auto map = ShardMap::Build(page->open_shards);
  ASSERT_TRUE(map.ok());
  EXPECT_EQ(map->shards()[1].shard_id, "shardId-000000000002");

  auto last = ParseListShardsPage(R"({"Shards":[]})");
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->next_token.empty());
}

TEST(ShardMapTest, HostilePagesGetAnError) {
  for (const char* body :
       {"", "[]", "{}", R"({"Shards":{}})", R"({"Shards":[1]})",
        R"({"Shards":[{"ShardId":"a"}]})",
        R"({"Shards":[{"ShardId":"a","HashKeyRange":{"StartingHashKey":"9",
            "EndingHashKey":"1"}}]})",
        R"({"Shards":[{"ShardId":"a","HashKeyRange":{"StartingHashKey":"x",
            "EndingHashKey":"1"}}]})"}) {
    EXPECT_FALSE(ParseListShardsPage(body).ok()) << body;
  }
}

TEST(ShardMapTest, ReshardIsSeenAsDifferentShards) {
  const absl::uint128 half = absl::MakeUint128(0x8000000000000000ULL, 0);
  auto one = ShardMap::Build({Range("shardId-0", 0, kMax)});
  auto again = ShardMap::Build({Range("shardId-0", 0, kMax)});
  auto split =
      ShardMap::Build({Range("shardId-1", 0, half - 1), Range("shardId-2", half, kMax)});
  ASSERT_TRUE(one.ok() && again.ok() && split.ok());
  EXPECT_TRUE(one->SameShards(*again));
  EXPECT_FALSE(one->SameShards(*split));
  // The same key moves to a child shard.
  EXPECT_EQ(split->shards()[*split->Lookup(HashKeyOf("42"))].shard_id, "shardId-2");
}

TEST(ShardMapTest, MaxRecordBytesFromStreamSummary) {
  EXPECT_EQ(*ParseMaxRecordBytes(R"({"StreamDescriptionSummary":{"StreamName":"s"}})"),
            1048576u);
  EXPECT_EQ(*ParseMaxRecordBytes(
                R"({"StreamDescriptionSummary":{"MaxRecordSizeInKiB":10240}})"),
            10485760u);
  EXPECT_FALSE(
      ParseMaxRecordBytes(R"({"StreamDescriptionSummary":{"MaxRecordSizeInKiB":-1}})")
          .ok());
  EXPECT_FALSE(ParseMaxRecordBytes("{}").ok());
  EXPECT_FALSE(ParseMaxRecordBytes("nope").ok());
}

}  // namespace
}  // namespace streamgate::kinesis
