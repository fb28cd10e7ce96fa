// SpoolQueue across restarts, against real files: replay of what was not
// delivered (and not of what was), the checkpoint, and recovery of torn
// tails, damaged regions and damaged files. Also the checksum itself.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/spool/checkpoint.h"
#include "gateway/spool/crc32c.h"
#include "gateway/spool/spool_queue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/spool/spool_test_util.h"

namespace streamgate {
namespace {

using ::testing::ElementsAreArray;
using testing::FileSize;
using ::testing::IsEmpty;
using testing::PopAll;
using testing::Put;
using testing::PutRange;
using testing::Range;
using testing::SegmentFiles;
using testing::TempDir;
using testing::TestOptions;

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(Crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(Crc32c("", 0), 0u);
  std::string zeros(32, '\0');
  EXPECT_EQ(Crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
  // Extending in pieces equals one pass.
  EXPECT_EQ(Crc32cExtend(Crc32c("1234", 4), "56789", 5), 0xE3069283u);
}

TEST(SpoolQueueTest, RestartReplaysUndeliveredInOrderAndNotTheDelivered) {
  TempDir t;
  {
    SpoolQueue q("m", TestOptions(t.path()));
    ASSERT_TRUE(q.Start().ok());
    PutRange(q, "r", 0, 100);
    // All delivered; the clean stop checkpoints that...
    EXPECT_EQ(PopAll(q, 40).size(), 100u);
  }
  // ...so nothing is replayed.
  {
    SpoolQueue q("m", TestOptions(t.path()));
    ASSERT_TRUE(q.Start().ok());
    EXPECT_EQ(q.depth(), 0u);
    EXPECT_EQ(q.stats().replayed_records.load(), 0u);
    PutRange(q, "s", 0, 100);
    std::vector<testing::PendingBatch> pending;
    // Batches of 10: complete the first four, pop two more and leave them
    // undelivered, leave the rest unread.
    for (int i = 0; i < 6; ++i) {
      QueueBatch b;
      ASSERT_TRUE(q.Pop(b, 10, absl::ZeroDuration()));
      ASSERT_EQ(b.records.size(), 10u);
      if (i < 4)
        testing::Delivered(std::move(b.done), 10);
      else
        pending.push_back(testing::PendingBatch{std::move(b.done), 10});
    }
    // Destroyed with batches in flight: like a crash for those records.
    pending.clear();  // never called
  }
  SpoolQueue q("m", TestOptions(t.path()));
  ASSERT_TRUE(q.Start().ok());
  EXPECT_EQ(q.stats().replayed_records.load(), 60u);
  PutRange(q, "new", 0, 3);
  std::vector<std::string> want = Range("s", 40, 100);
  for (const std::string& s : Range("new", 0, 3)) want.push_back(s);
  EXPECT_THAT(PopAll(q), ElementsAreArray(want));
}

// A batch settles only when its report has nothing undelivered; one that
// does (the sink closed before storing it) stays for the next start, and
// with it every later batch (the watermark cannot pass it). Dead-lettered
// records are settled.
TEST(SpoolQueueTest, BatchWithUndeliveredRecordsIsKeptForTheNextStart) {
  TempDir t;
  SpoolOptions o = TestOptions(t.path());
  {
    SpoolQueue q("m", o);
    ASSERT_TRUE(q.Start().ok());
    PutRange(q, "r", 0, 20);
    std::vector<QueueBatch> batches(4);
    for (QueueBatch& b : batches) {
      ASSERT_TRUE(q.Pop(b, 5, absl::ZeroDuration()));
      ASSERT_EQ(b.records.size(), 5u);
    }
    const uint64_t held = q.used_bytes();
    DeliveryReport dead_lettered;
    dead_lettered.dead_lettered = 5;
    std::move(batches[0].done)(dead_lettered);
    EXPECT_LT(q.used_bytes(), held);
    const uint64_t after_first = q.used_bytes();
    DeliveryReport partly;
    partly.delivered = 2;
    partly.undelivered = 3;
    std::move(batches[1].done)(partly);
    EXPECT_EQ(q.used_bytes(), after_first);  // not freed
    testing::Delivered(std::move(batches[2].done), 5);
    testing::Delivered(std::move(batches[3].done), 5);
    EXPECT_EQ(q.used_bytes(), after_first);  // held behind batch 1
  }
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  EXPECT_EQ(q.stats().replayed_records.load(), 15u);
  EXPECT_THAT(PopAll(q), ElementsAreArray(Range("r", 5, 20)));
}

TEST(SpoolQueueTest, CrashWithoutCheckpointReplaysEverythingUndelivered) {
  TempDir t;
  SpoolOptions o = TestOptions(t.path());
  {
    SpoolQueue q("m", o);
    ASSERT_TRUE(q.Start().ok());
    PutRange(q, "r", 0, 50);
    // Nothing popped, nothing completed.
  }
  std::filesystem::remove(o.dir + "/checkpoint");
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  EXPECT_THAT(PopAll(q), ElementsAreArray(Range("r", 0, 50)));
}

TEST(SpoolQueueTest, TornTailIsCutAndCounted) {
  TempDir t;
  SpoolOptions o = TestOptions(t.path());
  std::string seg;
  uint64_t intact = 0;
  {
    SpoolQueue q("m", o);
    ASSERT_TRUE(q.Start().ok());
    PutRange(q, "r", 0, 10);
    seg = SegmentFiles(o.dir).back();
    intact = FileSize(seg);
    ASSERT_TRUE(Put(q, {"the record torn by the crash"}).ok());
  }
  // Cut the last frame in half, as a crash mid-write leaves it.
  const uint64_t full = FileSize(seg);
  std::filesystem::resize_file(seg, intact + (full - intact) / 2);
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  EXPECT_EQ(q.stats().torn_tails_cut.load(), 1u);
  EXPECT_EQ(q.stats().torn_bytes_cut.load(), (full - intact) / 2);
  EXPECT_EQ(q.stats().damaged_regions.load(), 0u);
  EXPECT_EQ(FileSize(seg), intact);  // ftruncated
  EXPECT_THAT(PopAll(q), ElementsAreArray(Range("r", 0, 10)));
}

TEST(SpoolQueueTest, GarbageAfterTheLastFrameIsATornTail) {
  TempDir t;
  SpoolOptions o = TestOptions(t.path());
  std::string seg;
  {
    SpoolQueue q("m", o);
    ASSERT_TRUE(q.Start().ok());
    PutRange(q, "r", 0, 5);
    seg = SegmentFiles(o.dir).back();
  }
  const uint64_t intact = FileSize(seg);
  {
    std::ofstream f(seg, std::ios::app | std::ios::binary);
    f << std::string(100, '\xA7');  // bytes that start like a magic
  }
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  EXPECT_EQ(q.stats().torn_tails_cut.load(), 1u);
  EXPECT_EQ(q.stats().torn_bytes_cut.load(), 100u);
  EXPECT_EQ(FileSize(seg), intact);
  EXPECT_THAT(PopAll(q), ElementsAreArray(Range("r", 0, 5)));
}

TEST(SpoolQueueTest, FlippedBytesInTheMiddleAreSkippedCountedAndTheRestKept) {
  TempDir t;
  SpoolOptions o = TestOptions(t.path());
  std::string seg;
  uint64_t damaged_at = 0;
  {
    SpoolQueue q("m", o);
    ASSERT_TRUE(q.Start().ok());
    PutRange(q, "record-", 0, 10);
    seg = SegmentFiles(o.dir).back();
    damaged_at = FileSize(seg);
    PutRange(q, "record-", 10, 30);
  }
  // Flip bytes inside record 10's frame (its length field and its data).
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(damaged_at + 5));
    f.put('\x7F');
    f.seekp(static_cast<std::streamoff>(damaged_at + 20));
    f.put('X');
  }
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  EXPECT_EQ(q.stats().damaged_regions.load(), 1u);
  EXPECT_GT(q.stats().damaged_bytes.load(), 0u);
  EXPECT_EQ(q.stats().torn_tails_cut.load(), 0u);
  std::vector<std::string> want = Range("record-", 0, 10);
  for (const std::string& s : Range("record-", 11, 30)) want.push_back(s);
  EXPECT_THAT(PopAll(q), ElementsAreArray(want));
  // Reading past the known region does not count it again.
  EXPECT_EQ(q.stats().damaged_regions.load(), 1u);
  EXPECT_EQ(q.used_bytes(), 0u);
}

TEST(SpoolQueueTest, DamagedHeaderFileIsSetAsideNotFatal) {
  TempDir t;
  SpoolOptions o = TestOptions(t.path());
  {
    SpoolQueue q("m", o);
    ASSERT_TRUE(q.Start().ok());
    PutRange(q, "r", 0, 3);
  }
  const std::string seg = SegmentFiles(o.dir).front();
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f << "NOTASPOOL";
  }
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  EXPECT_EQ(q.stats().damaged_regions.load(), 1u);
  EXPECT_TRUE(std::filesystem::exists(seg + ".bad"));
  EXPECT_THAT(PopAll(q), IsEmpty());
  ASSERT_TRUE(Put(q, {"after"}).ok());
  EXPECT_THAT(PopAll(q), ElementsAreArray({"after"}));
}

TEST(SpoolQueueTest, CheckpointRoundTripsAndRejectsDamage) {
  TempDir t;
  spool::SpoolEnv& env = *spool::DefaultSpoolEnv();
  ASSERT_TRUE(spool::WriteCheckpoint(env, t.path(), {7, 1234}, 0640).ok());
  auto cp = spool::ReadCheckpoint(env, t.path());
  ASSERT_TRUE(cp.ok() && cp->has_value());
  EXPECT_EQ((*cp)->segment, 7u);
  EXPECT_EQ((*cp)->offset, 1234u);
  {
    std::fstream f(t.path() + "/checkpoint",
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.put('\x55');
  }
  cp = spool::ReadCheckpoint(env, t.path());
  ASSERT_TRUE(cp.ok());
  EXPECT_FALSE(cp->has_value());
}

}  // namespace
}  // namespace streamgate
