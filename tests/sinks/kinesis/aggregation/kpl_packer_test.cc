// KplPacker at the RecordPacker seam: a shard's queue becomes aggregates in
// queue order within max_bytes and the budget, each carrying its user
// records; the outer key and ExplicitHashKey are the first user record's;
// a lone record, and every record of an unmapped shard, goes plain.
#include "sinks/kinesis/aggregation/kpl_packer.h"

#include <deque>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sinks/kinesis/aggregation/deaggregator.h"
#include "sinks/kinesis/shard_map.h"

namespace streamgate::kinesis {
namespace {

// A request with room for `records` Kinesis records and `bytes` bytes.
class FakeBudget : public PackBudget {
 public:
  FakeBudget(size_t records, size_t bytes) : records_(records), bytes_(bytes) {}
  bool Fits(size_t bytes) override {
    return taken_records < records_ && taken_bytes + bytes <= bytes_;
  }
  void Take(size_t bytes) override {
    ++taken_records;
    taken_bytes += bytes;
  }
  size_t taken_records = 0;
  size_t taken_bytes = 0;

 private:
  size_t records_;
  size_t bytes_;
};

PendingRecord User(const std::string& key, const std::string& data,
                   uint64_t ticket = 1) {
  PendingRecord r;
  r.record.partition_key = key;
  r.record.data = std::make_shared<const std::string>(data);
  r.hash_key = HashKeyOf(key);
  r.ticket = ticket;
  r.accepted = absl::FromUnixSeconds(1000);
  return r;
}

const ShardRange kShard{"shardId-000000000000", 0, ~absl::uint128(0)};

TEST(KplPackerTest, PacksTheQueueInOrderWithinMaxBytes) {
  KplPacker packer(1000);
  std::deque<PendingRecord> ready;
  for (int i = 0; i < 20; ++i) {
    ready.push_back(
        User(absl::StrCat("dev-", i % 3), std::string(150, 'a' + i)));
  }
  FakeBudget budget(500, 5 << 20);
  PendingBatch out;
  packer.Pack(ready, &kShard, budget, out);
  EXPECT_TRUE(ready.empty());
  ASSERT_GT(out.size(), 1u);
  int next = 0;
  size_t charged = 0;
  for (const PendingRecord& r : out) {
    charged += r.size();
    EXPECT_LE(r.size(), 1000u);
    if (r.members.empty()) {  // the tail may be a lone plain record
      EXPECT_EQ(*r.record.data, std::string(150, 'a' + next));
      ++next;
      continue;
    }
    EXPECT_EQ(r.record.partition_key, r.members.front().record.partition_key);
    EXPECT_EQ(r.hash_key, r.members.front().hash_key);
    EXPECT_EQ(ParseHashKey(r.explicit_hash_key).value(), r.hash_key);
    auto users = Deaggregate(*r.record.data);
    ASSERT_TRUE(users.ok()) << users.status();
    ASSERT_EQ(users->size(), r.members.size());
    for (size_t i = 0; i < users->size(); ++i, ++next) {
      EXPECT_EQ((*users)[i].data, std::string(150, 'a' + next));
      EXPECT_EQ((*users)[i].partition_key, absl::StrCat("dev-", next % 3));
      EXPECT_EQ(*r.members[i].record.data, (*users)[i].data);
    }
  }
  EXPECT_EQ(next, 20);
  EXPECT_EQ(budget.taken_records, out.size());
  EXPECT_EQ(budget.taken_bytes, charged);
  EXPECT_EQ(
      packer.aggregated_user_records() + (out.size() - packer.aggregates()),
      20u);
}

TEST(KplPackerTest, StopsWhereTheBudgetStops) {
  KplPacker packer(51200);
  std::deque<PendingRecord> ready;
  for (int i = 0; i < 10; ++i) {
    ready.push_back(User(absl::StrCat("k", i), std::string(100, 'x')));
  }
  // Room for one Kinesis record of at most 500 bytes: four user records
  // (110 bytes each with its key-table entry, 22 for magic, MD5, outer key).
  FakeBudget budget(1, 500);
  PendingBatch out;
  packer.Pack(ready, &kShard, budget, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].members.size(), 4u);
  EXPECT_LE(out[0].size(), 500u);
  EXPECT_EQ(ready.size(), 6u);
  // The budget is spent: nothing more leaves the queue.
  packer.Pack(ready, &kShard, budget, out);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(ready.size(), 6u);
}

TEST(KplPackerTest, ALoneRecordAndAnUnmappedShardGoPlain) {
  KplPacker packer(51200);
  std::deque<PendingRecord> ready;
  ready.push_back(User("solo", "only one"));
  FakeBudget budget(500, 5 << 20);
  PendingBatch out;
  packer.Pack(ready, &kShard, budget, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].members.empty());
  EXPECT_TRUE(out[0].explicit_hash_key.empty());
  EXPECT_EQ(*out[0].record.data, "only one");

  // No shard range: keys of every shard share the queue, so no packing.
  for (int i = 0; i < 5; ++i) ready.push_back(User(absl::StrCat(i), "d"));
  out.clear();
  packer.Pack(ready, nullptr, budget, out);
  ASSERT_EQ(out.size(), 5u);
  for (const PendingRecord& r : out) EXPECT_TRUE(r.members.empty());
}

TEST(KplPackerTest, ARecordOverMaxBytesTravelsAlone) {
  KplPacker packer(300);
  std::deque<PendingRecord> ready;
  ready.push_back(User("a", "small"));
  ready.push_back(User("b", std::string(400, 'b')));
  ready.push_back(User("c", "small"));
  FakeBudget budget(500, 5 << 20);
  PendingBatch out;
  packer.Pack(ready, &kShard, budget, out);
  ASSERT_EQ(out.size(), 3u);
  for (const PendingRecord& r : out) EXPECT_TRUE(r.members.empty());
  EXPECT_EQ(out[1].record.data->size(), 400u);
}

TEST(KplPackerTest, KeepsAKeysRunInOneKinesisRecord) {
  // max_bytes holds about five of these; runs of 3 never straddle two.
  KplPacker packer(900);
  std::deque<PendingRecord> ready;
  for (int key = 0; key < 4; ++key) {
    for (int i = 0; i < 3; ++i) {
      ready.push_back(User(absl::StrCat("k", key), std::string(150, 'a' + i)));
    }
  }
  FakeBudget budget(500, 5 << 20);
  PendingBatch out;
  packer.Pack(ready, &kShard, budget, out);
  ASSERT_EQ(out.size(), 4u);
  for (int key = 0; key < 4; ++key) {
    ASSERT_EQ(out[key].members.size(), 3u) << key;
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(out[key].members[i].record.partition_key,
                absl::StrCat("k", key));
      EXPECT_EQ(*out[key].members[i].record.data, std::string(150, 'a' + i));
    }
  }
}

TEST(KplPackerTest, ARunTheRequestCannotTakeWaitsWhole) {
  KplPacker packer(51200);
  std::deque<PendingRecord> ready;
  ready.push_back(User("a", std::string(100, 'a')));
  for (int i = 0; i < 3; ++i) ready.push_back(User("b", std::string(100, 'b')));
  // Room for one small aggregate: "a" plus part of "b"'s run would fit,
  // but the run goes whole into the next request.
  FakeBudget budget(2, 300);
  PendingBatch out;
  packer.Pack(ready, &kShard, budget, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].members.empty());  // "a" alone: plain
  EXPECT_EQ(ready.size(), 3u);
}

TEST(KplPackerTest, ALongRunIsSplitOnlyWhenNoAggregateHoldsIt) {
  KplPacker packer(600);
  std::deque<PendingRecord> ready;
  for (int i = 0; i < 8; ++i)
    ready.push_back(User("hot", std::string(150, 'a' + i)));
  FakeBudget budget(500, 5 << 20);
  PendingBatch out;
  packer.Pack(ready, &kShard, budget, out);
  EXPECT_TRUE(ready.empty());
  ASSERT_GT(out.size(), 1u);
  int next = 0;
  for (const PendingRecord& r : out) {
    EXPECT_LE(r.size(), 600u);
    if (r.members.empty()) {
      EXPECT_EQ(*r.record.data, std::string(150, 'a' + next++));
    } else {
      for (const PendingRecord& m : r.members) {
        EXPECT_EQ(*m.record.data, std::string(150, 'a' + next++));
      }
    }
  }
  EXPECT_EQ(next, 8);
}

TEST(KplPackerTest, ARetriedAggregateIsSentAsItIs) {
  KplPacker packer(51200);
  std::deque<PendingRecord> ready;
  ready.push_back(User("x", "1"));
  ready.push_back(User("y", "2"));
  FakeBudget budget(500, 5 << 20);
  PendingBatch first;
  packer.Pack(ready, &kShard, budget, first);
  ASSERT_EQ(first.size(), 1u);
  const std::string bytes = *first[0].record.data;
  // Back in the queue after a failure, ahead of a new record.
  ready.push_back(std::move(first[0]));
  ready.push_back(User("z", "3"));
  PendingBatch again;
  packer.Pack(ready, &kShard, budget, again);
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(*again[0].record.data, bytes);
  EXPECT_EQ(again[0].members.size(), 2u);
  EXPECT_TRUE(again[1].members.empty());
  EXPECT_EQ(*again[1].record.data, "3");
}

TEST(KplPackerTest, ExplicitHashKeyStaysInsideTheShard) {
  KplPacker packer(51200);
  std::deque<PendingRecord> ready;
  ready.push_back(User("a", "1"));
  ready.push_back(User("b", "2"));
  // A range that holds neither key (the map changed while they waited).
  const absl::uint128 a = HashKeyOf("a");
  const ShardRange elsewhere{"shardId-000000000007", a + 1, a + 1000};
  FakeBudget budget(500, 5 << 20);
  PendingBatch out;
  packer.Pack(ready, &elsewhere, budget, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].hash_key, elsewhere.start);
  EXPECT_EQ(ParseHashKey(out[0].explicit_hash_key).value(), elsewhere.start);
  // The largest hash key prints all 39 digits.
  std::deque<PendingRecord> top;
  top.push_back(User("x", "1"));
  top.push_back(User("y", "2"));
  top[0].hash_key = ~absl::uint128(0);
  out.clear();
  packer.Pack(top, &kShard, budget, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].explicit_hash_key,
            "340282366920938463463374607431768211455");
}

}  // namespace
}  // namespace streamgate::kinesis
