// ShardAssembler: requests built from the shards that have tokens, linger
// and full requests, retries first after their backoff, a new map
// re-queueing by the new ranges, the pseudo-shard before any map, and the
// packer seam.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sinks/kinesis/shard_assembler.h"

namespace streamgate::kinesis {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);
const absl::uint128 kHalf = absl::MakeUint128(0x8000000000000000ULL, 0);

PendingRecord Rec(absl::uint128 hash, std::string data, absl::Time at = kT0) {
  PendingRecord r;
  r.record.partition_key = "k";
  r.record.data = std::make_shared<const std::string>(std::move(data));
  r.hash_key = hash;
  r.accepted = at;
  r.not_before = at;
  return r;
}

ShardMap TwoShards() {
  return *ShardMap::Build({ShardRange{"shard-lo", 0, kHalf - 1},
                           ShardRange{"shard-hi", kHalf, absl::Uint128Max()}});
}

ShardAssembler Make(size_t max_records, double records_per_s,
                    absl::Duration linger = absl::Milliseconds(100)) {
  return ShardAssembler({max_records, 1 << 20, linger},
                        RateLimit{records_per_s, 1e9, true}, nullptr, kT0);
}

TEST(ShardAssemblerTest, WithoutMapBehavesLikeAPlainBatcher) {
  ShardAssembler a = Make(3, 10);
  for (int i = 0; i < 7; ++i) a.Add(Rec(i, std::to_string(i)), kT0);
  auto batch = a.TakeReady(kT0, false);
  ASSERT_TRUE(batch);  // full by count, no rate limit without a map
  ASSERT_EQ(batch->size(), 3u);
  EXPECT_EQ(*(*batch)[0].record.data, "0");
  ASSERT_TRUE(a.TakeReady(kT0, false));
  EXPECT_FALSE(a.TakeReady(kT0, false));  // one left: lingers
  EXPECT_EQ(a.NextWakeup(kT0), kT0 + absl::Milliseconds(100));
  batch = a.TakeReady(kT0 + absl::Milliseconds(100), false);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->size(), 1u);
  EXPECT_TRUE(a.empty());
  EXPECT_TRUE(a.Stats().empty());  // no per-shard series for the pseudo-shard
}

TEST(ShardAssemblerTest, EachShardSendsOnlyItsTokens) {
  // 100 records/s a shard: a burst of 20 tokens.
  ShardAssembler a = Make(500, 100);
  ASSERT_TRUE(a.SetMap(TwoShards(), kT0));
  for (int i = 0; i < 50; ++i) a.Add(Rec(1 + i, "lo"), kT0);
  for (int i = 0; i < 5; ++i) a.Add(Rec(kHalf + i, "hi"), kT0);
  auto batch = a.TakeReady(kT0, /*force=*/true);
  ASSERT_TRUE(batch);
  std::map<std::string, int> per_shard;
  for (const auto& r : *batch) {
    ++per_shard[*r.record.data];
    EXPECT_EQ(r.generation, a.generation());
  }
  EXPECT_EQ(per_shard["lo"], 20);  // its burst
  EXPECT_EQ(per_shard["hi"], 5);   // all it had
  // The low shard's next chunk (half its burst, 10) needs 0.1 s of refill.
  EXPECT_FALSE(a.TakeReady(kT0 + absl::Milliseconds(50), true));
  EXPECT_EQ(a.NextWakeup(kT0 + absl::Milliseconds(50)),
            kT0 + absl::Microseconds(100001));
  batch = a.TakeReady(kT0 + absl::Milliseconds(101), true);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->size(), 10u);
  // Over a long run a shard never exceeds its rate: 30 in the first 0.1 s,
  // then 100 a second.
  size_t sent = 30;
  for (int ms = 110; ms <= 300; ms += 10) {
    if (auto b = a.TakeReady(kT0 + absl::Milliseconds(ms), true))
      sent += b->size();
  }
  EXPECT_LE(sent, 20u + 5u + 100u * 3 / 10 + 1);
  std::vector<ShardStats> stats = a.Stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].shard_id, "shard-lo");
  EXPECT_EQ(stats[1].records_sent, 5u);
}

TEST(ShardAssemblerTest, ThrottlingReportsLowerOnlyThatShard) {
  ShardAssembler a = Make(500, 1000);
  ASSERT_TRUE(a.SetMap(TwoShards(), kT0));
  a.Report(0, a.generation(), 10, 3, kT0);
  a.Report(1, a.generation(), 10, 0, kT0);
  a.Report(1, a.generation() - 1, 0, 50, kT0);  // stale map: ignored
  std::vector<ShardStats> stats = a.Stats();
  EXPECT_DOUBLE_EQ(stats[0].allowed_records_per_s, 700);
  EXPECT_DOUBLE_EQ(stats[1].allowed_records_per_s, 1000);
  EXPECT_EQ(stats[0].throttled, 3u);
  EXPECT_EQ(stats[1].records_stored, 10u);
}

TEST(ShardAssemblerTest, RetriesWaitForBackoffThenGoFirst) {
  ShardAssembler a = Make(2, 1000);
  a.Retry(Rec(1, "retry", kT0 + absl::Seconds(1)), kT0);
  a.Add(Rec(2, "new"), kT0);
  EXPECT_EQ(a.ready_count(), 1u);
  EXPECT_EQ(a.NextWakeup(kT0), kT0 + absl::Milliseconds(100));
  const absl::Time t = kT0 + absl::Seconds(1);
  a.Add(Rec(3, "newer", t), t);
  auto batch = a.TakeReady(t, false);  // the due retry fills it
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 2u);
  EXPECT_EQ(*(*batch)[0].record.data, "retry");
  EXPECT_EQ(*(*batch)[1].record.data, "new");
  EXPECT_EQ(a.size(), 1u);
}

// The sink reads the clock on several threads: a record Deliver admitted
// (not_before: Deliver's clock read) may be released by the ordering gate
// in an Apply whose clock read came earlier. It is new, not a retry: it
// goes behind the records queued before it, never waits for a "backoff"
// and then jumps ahead of them (which broke a key's order).
TEST(ShardAssemblerTest, ANewRecordWithALaterClockReadKeepsItsPlaceInTheQueue) {
  ShardAssembler a = Make(500, 1000);
  a.Add(Rec(1, "first"), kT0);
  a.Add(Rec(1, "second", kT0 + absl::Milliseconds(5)), kT0);
  a.Add(Rec(1, "third", kT0 + absl::Milliseconds(3)), kT0);
  EXPECT_EQ(a.ready_count(), 3u);
  auto batch = a.TakeReady(kT0 + absl::Seconds(1), false);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 3u);
  EXPECT_EQ(*(*batch)[0].record.data, "first");
  EXPECT_EQ(*(*batch)[1].record.data, "second");
  EXPECT_EQ(*(*batch)[2].record.data, "third");
}

// Retries due at once go ahead of newer records, oldest first.
TEST(ShardAssemblerTest, DueRetriesGoFirstOldestFirst) {
  ShardAssembler a = Make(500, 1000);
  a.Add(Rec(3, "new"), kT0);
  a.Retry(Rec(1, "older retry", kT0 + absl::Milliseconds(10)), kT0);
  a.Retry(Rec(2, "newer retry", kT0 + absl::Milliseconds(20)), kT0);
  EXPECT_EQ(a.ready_count(), 1u);
  auto batch = a.TakeReady(kT0 + absl::Seconds(1), false);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 3u);
  EXPECT_EQ(*(*batch)[0].record.data, "older retry");
  EXPECT_EQ(*(*batch)[1].record.data, "newer retry");
  EXPECT_EQ(*(*batch)[2].record.data, "new");
}

TEST(ShardAssemblerTest, NewMapRequeuesByTheNewRanges) {
  ShardAssembler a = Make(500, 1000);
  ASSERT_TRUE(a.SetMap(
      *ShardMap::Build({ShardRange{"parent", 0, absl::Uint128Max()}}), kT0));
  a.Add(Rec(5, "lo"), kT0);
  a.Retry(Rec(kHalf + 5, "hi", kT0 + absl::Seconds(1)), kT0);
  a.Report(0, a.generation(), 0, 1, kT0);
  EXPECT_FALSE(a.SetMap(
      *ShardMap::Build({ShardRange{"parent", 0, absl::Uint128Max()}}), kT0));
  // The parent splits.
  const uint64_t before = a.generation();
  ASSERT_TRUE(a.SetMap(TwoShards(), kT0));
  EXPECT_GT(a.generation(), before);
  std::vector<ShardStats> stats = a.Stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].queued, 1u);
  EXPECT_EQ(stats[1].queued, 1u);
  EXPECT_EQ(a.size(), 2u);
  EXPECT_EQ(a.ready_count(), 1u);
  auto batch = a.TakeReady(kT0 + absl::Seconds(1), true);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->size(), 2u);
  EXPECT_TRUE(a.empty());
}

TEST(ShardAssemblerTest, UnmappedHashIsNoticed) {
  ShardAssembler a = Make(500, 1000);
  ASSERT_TRUE(a.SetMap(*ShardMap::Build({ShardRange{"s", 0, 100}}), kT0));
  a.Add(Rec(50, "in"), kT0);
  EXPECT_FALSE(a.saw_unmapped());
  a.Add(Rec(500, "gap"), kT0);
  EXPECT_TRUE(a.saw_unmapped());
  EXPECT_EQ(a.size(), 2u);  // still queued (on the first shard)
}

// Packs two user records into one Kinesis record, to show the seam.
class PairPacker : public RecordPacker {
 public:
  void Pack(std::deque<PendingRecord>& ready, const ShardRange* shard,
            PackBudget& budget, PendingBatch& out) override {
    shards_seen.push_back(shard ? shard->shard_id : "(none)");
    while (!ready.empty()) {
      PendingRecord r = std::move(ready.front());
      ready.pop_front();
      if (!ready.empty()) {
        r.record.data = std::make_shared<const std::string>(
            *r.record.data + "+" + *ready.front().record.data);
        ready.pop_front();
      }
      if (!budget.Fits(r.size())) {
        ready.push_front(std::move(r));
        return;
      }
      budget.Take(r.size());
      out.push_back(std::move(r));
    }
  }
  std::vector<std::string> shards_seen;
};

TEST(ShardAssemblerTest, PackerSeamTurnsUserRecordsIntoKinesisRecords) {
  auto packer = std::make_unique<PairPacker>();
  PairPacker* seen = packer.get();
  ShardAssembler a({500, 1 << 20, absl::ZeroDuration()}, RateLimit{},
                   std::move(packer), kT0);
  for (int i = 0; i < 4; ++i) a.Add(Rec(1, std::to_string(i)), kT0);
  auto batch = a.TakeReady(kT0, false);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 2u);
  EXPECT_EQ(*(*batch)[0].record.data, "0+1");
  EXPECT_EQ(*(*batch)[1].record.data, "2+3");
  EXPECT_TRUE(a.empty());
  ASSERT_TRUE(a.SetMap(TwoShards(), kT0));
  a.Add(Rec(kHalf + 1, "x"), kT0);
  ASSERT_TRUE(a.TakeReady(kT0, false));
  EXPECT_EQ(seen->shards_seen,
            (std::vector<std::string>{"(none)", "shard-hi"}));
}

TEST(ShardAssemblerTest, TakeAllEmptiesEveryShard) {
  ShardAssembler a = Make(500, 1000);
  ASSERT_TRUE(a.SetMap(TwoShards(), kT0));
  a.Add(Rec(1, "a"), kT0);
  a.Retry(Rec(kHalf, "b", kT0 + absl::Seconds(5)), kT0);
  EXPECT_EQ(a.TakeAll().size(), 2u);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.NextWakeup(kT0), absl::InfiniteFuture());
}

}  // namespace
}  // namespace streamgate::kinesis
