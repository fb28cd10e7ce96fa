// Batcher: count, byte and linger limits; retries held for their backoff and
// sent ahead of newer records.
#include "sinks/kinesis/batcher.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace streamgate::kinesis {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

PendingRecord Rec(std::string data, std::string key = "k",
                  absl::Time not_before = kT0) {
  PendingRecord r;
  r.record.data = std::make_shared<const std::string>(std::move(data));
  r.record.partition_key = std::move(key);
  r.accepted = kT0;
  r.not_before = not_before;
  return r;
}

TEST(BatcherTest, FullByCountIsReadyAtOnce) {
  Batcher b({3, 1000, absl::Seconds(1)});
  for (int i = 0; i < 7; ++i) b.Add(Rec(std::to_string(i)), kT0);
  auto batch = b.TakeReady(kT0, false);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 3u);
  EXPECT_EQ(*(*batch)[0].record.data, "0");
  EXPECT_EQ(*(*batch)[2].record.data, "2");
  batch = b.TakeReady(kT0, false);
  ASSERT_TRUE(batch);
  EXPECT_EQ(*(*batch)[0].record.data, "3");
  // One left: waits for linger.
  EXPECT_FALSE(b.TakeReady(kT0, false));
  EXPECT_EQ(b.NextWakeup(), kT0 + absl::Seconds(1));
  batch = b.TakeReady(kT0 + absl::Seconds(1), false);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->size(), 1u);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.NextWakeup(), absl::InfiniteFuture());
}

TEST(BatcherTest, BytesCountDataPlusKeyAndNeverExceedLimit) {
  // Each record is 8 data + 2 key = 10 bytes; limit 25 fits two.
  Batcher b({500, 25, absl::Seconds(1)});
  for (int i = 0; i < 5; ++i) b.Add(Rec("12345678", "kk"), kT0);
  auto batch = b.TakeReady(kT0, false);  // 50 bytes queued >= 25: full
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->size(), 2u);
  batch = b.TakeReady(kT0, false);  // 30 bytes left, still full
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->size(), 2u);
  EXPECT_FALSE(b.TakeReady(kT0, false));  // 10 bytes: lingers
}

TEST(BatcherTest, RecordOverByteLimitTravelsAlone) {
  Batcher b({500, 10, absl::Seconds(1)});
  b.Add(Rec("small"), kT0);
  b.Add(Rec(std::string(40, 'x')), kT0);
  b.Add(Rec("tail"), kT0);
  auto batch = b.TakeReady(kT0, false);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->size(), 1u);
  EXPECT_EQ(*(*batch)[0].record.data, "small");
  batch = b.TakeReady(kT0, false);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ((*batch)[0].record.data->size(), 40u);
}

TEST(BatcherTest, ForceSendsPartialBatch) {
  Batcher b({500, 1000, absl::Hours(1)});
  b.Add(Rec("a"), kT0);
  EXPECT_FALSE(b.TakeReady(kT0, false));
  auto batch = b.TakeReady(kT0, true);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->size(), 1u);
  EXPECT_FALSE(b.TakeReady(kT0, true));
}

TEST(BatcherTest, RetriesWaitForBackoffThenGoFirstWithoutLinger) {
  Batcher b({500, 1000, absl::Milliseconds(100)});
  b.Add(Rec("retry-late", "k", kT0 + absl::Seconds(2)), kT0);
  b.Add(Rec("retry-early", "k", kT0 + absl::Seconds(1)), kT0);
  EXPECT_EQ(b.delayed_count(), 2u);
  EXPECT_EQ(b.NextWakeup(), kT0 + absl::Seconds(1));
  // Not even force sends a record in backoff.
  EXPECT_FALSE(b.TakeReady(kT0, true));

  const absl::Time t1 = kT0 + absl::Seconds(1);
  b.Add(Rec("new"), t1);
  auto batch = b.TakeReady(t1, false);  // due retry: no linger wait
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 2u);
  EXPECT_EQ(*(*batch)[0].record.data, "retry-early");
  EXPECT_EQ(*(*batch)[1].record.data, "new");

  const absl::Time t2 = kT0 + absl::Seconds(2);
  batch = b.TakeReady(t2, false);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ(*(*batch)[0].record.data, "retry-late");
}

TEST(BatcherTest, KeepsOrderAcrossManyBatchesAndRetriesInFront) {
  Batcher b({4, 100000, absl::Seconds(1)});
  int next_in = 0, next_out = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 7; ++i) b.Add(Rec(std::to_string(next_in++)), kT0);
    while (auto batch = b.TakeReady(kT0, false)) {
      for (const auto& r : *batch) EXPECT_EQ(*r.record.data, std::to_string(next_out++));
    }
  }
  EXPECT_EQ(b.ready_count(), static_cast<size_t>(next_in - next_out));
  EXPECT_LT(b.ready_count(), 4u);
  // Retries due now go ahead of what is queued, whether or not the front
  // has room left by earlier batches: 3 due retries, then 9 more.
  const absl::Time t1 = kT0 + absl::Seconds(1);
  for (int i = 0; i < 3; ++i) b.Add(Rec("r" + std::to_string(i), "k", t1), kT0);
  std::vector<std::string> got;
  auto batch = b.TakeReady(t1, false);
  ASSERT_TRUE(batch);
  for (const auto& r : *batch) got.push_back(*r.record.data);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0], "r0");
  EXPECT_EQ(got[1], "r1");
  EXPECT_EQ(got[2], "r2");
  EXPECT_EQ(got[3], std::to_string(next_out));

  // Same with nothing taken yet (no free room in front).
  Batcher fresh({10, 100000, absl::Seconds(1)});
  fresh.Add(Rec("a"), kT0);
  fresh.Add(Rec("b"), kT0);
  for (int i = 0; i < 3; ++i) fresh.Add(Rec("r" + std::to_string(i), "k", t1), kT0);
  batch = fresh.TakeReady(t1, false);
  ASSERT_TRUE(batch);
  got.clear();
  for (const auto& r : *batch) got.push_back(*r.record.data);
  EXPECT_EQ(got, (std::vector<std::string>{"r0", "r1", "r2", "a", "b"}));
  EXPECT_TRUE(fresh.empty());
}

TEST(BatcherTest, HasFullBatchByCountOrBytes) {
  Batcher b({3, 20, absl::Seconds(1)});
  b.Add(Rec("12345"), kT0);
  EXPECT_FALSE(b.HasFullBatch());
  b.Add(Rec("12345"), kT0);
  EXPECT_FALSE(b.HasFullBatch());
  b.Add(Rec("1"), kT0);
  EXPECT_TRUE(b.HasFullBatch());  // 3 records
  ASSERT_TRUE(b.TakeReady(kT0, false));
  EXPECT_FALSE(b.HasFullBatch());
  b.Add(Rec(std::string(25, 'x')), kT0);
  EXPECT_TRUE(b.HasFullBatch());  // 26 bytes >= 20
}

TEST(BatcherTest, TakeAllEmptiesBothQueues) {
  Batcher b({500, 1000, absl::Seconds(1)});
  b.Add(Rec("a"), kT0);
  b.Add(Rec("b", "k", kT0 + absl::Hours(1)), kT0);
  EXPECT_EQ(b.TakeAll().size(), 2u);
  EXPECT_TRUE(b.empty());
  EXPECT_FALSE(b.TakeReady(kT0 + absl::Hours(2), true));
}

}  // namespace
}  // namespace streamgate::kinesis
