// SpoolQueue against real files in a temporary directory: round trip,
// segment rotation and deletion, capacity, fsync modes, I/O failures and
// metrics. Restarts and recovery: spool_recovery_test.cc.
#include "gateway/spool/spool_queue.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/api/metrics_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/spool/spool_test_util.h"

namespace streamgate {
namespace {

using ::testing::ElementsAreArray;
using testing::Eventually;
using testing::FileSize;
using ::testing::HasSubstr;
using testing::PopAll;
using testing::Put;
using testing::PutRange;
using testing::Range;
using testing::SegmentFiles;
using testing::TempDir;
using testing::TestOptions;

// Records what a queue reports to /metrics (no labels are expected).
class RecordingWriter : public metrics::MetricsWriter {
 public:
  void Counter(absl::string_view name, absl::string_view,
               const metrics::Labels& labels, double value) override {
    EXPECT_TRUE(labels.empty()) << name;
    values[std::string(name)] = value;
  }
  void Gauge(absl::string_view name, absl::string_view help,
             const metrics::Labels& labels, double value) override {
    Counter(name, help, labels, value);
  }
  void Histogram(absl::string_view name, absl::string_view,
                 const metrics::Labels&,
                 const metrics::HistogramSnapshot&) override {
    ADD_FAILURE() << "unexpected histogram " << name;
  }
  std::map<std::string, double> values;
};

TEST(SpoolQueueTest, MetricsReportSizeSegmentsAndRecoveries) {
  TempDir t;
  SpoolOptions o = TestOptions(t.path());
  std::vector<testing::PendingBatch> pending;
  {
    SpoolQueue q("m", o);
    ASSERT_TRUE(q.Start().ok());
    PutRange(q, "r", 0, 10);
    RecordingWriter w;
    q.CollectMetrics(w);
    EXPECT_GT(q.used_bytes(), 0u);
    EXPECT_EQ(w.values["streamgate_module_spool_bytes"],
              static_cast<double>(q.used_bytes()));
    EXPECT_EQ(w.values["streamgate_module_spool_segments"], 1);
    EXPECT_EQ(w.values["streamgate_module_spool_max_bytes"],
              static_cast<double>(o.max_bytes));
    EXPECT_EQ(w.values["streamgate_module_spool_replayed_records_total"], 0);
    // One thread's commits go one per group.
    EXPECT_EQ(w.values["streamgate_module_spool_commits_total"], 10);
    EXPECT_EQ(w.values["streamgate_module_spool_commit_writes_total"], 10);
    EXPECT_GE(w.values["streamgate_module_spool_fsync_seconds_total"], 0);
    EXPECT_EQ(w.values.count("streamgate_module_spool_fsync_seconds_total"),
              1u);
    // Popped but not settled: still held.
    EXPECT_EQ(PopAll(q, 4, &pending).size(), 10u);
    RecordingWriter held;
    q.CollectMetrics(held);
    EXPECT_EQ(held.values["streamgate_module_spool_bytes"],
              w.values["streamgate_module_spool_bytes"]);
    pending[0].Deliver();  // the first 4 settle
    RecordingWriter less;
    q.CollectMetrics(less);
    EXPECT_LT(less.values["streamgate_module_spool_bytes"],
              w.values["streamgate_module_spool_bytes"]);
    EXPECT_GT(less.values["streamgate_module_spool_bytes"], 0);
  }
  pending.clear();  // never settled: their records are replayed
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  RecordingWriter w;
  q.CollectMetrics(w);
  EXPECT_EQ(w.values["streamgate_module_spool_replayed_records_total"], 6);
  EXPECT_EQ(w.values.count("streamgate_module_spool_torn_tails_total"), 1u);
  EXPECT_EQ(w.values.count("streamgate_module_spool_damaged_regions_total"),
            1u);
  EXPECT_EQ(w.values.count("streamgate_module_spool_fsyncs_total"), 1u);
}

TEST(SpoolQueueTest, RoundTripKeepsKeysDataAndOrder) {
  TempDir t;
  SpoolQueue q("m", TestOptions(t.path()));
  ASSERT_TRUE(q.Start().ok());
  ASSERT_TRUE(Put(q, {"a", "bb", std::string("c\0c", 3)}).ok());
  EXPECT_EQ(q.depth(), 3u);
  QueueBatch b;
  ASSERT_TRUE(q.Pop(b, 100, absl::ZeroDuration()));
  ASSERT_EQ(b.records.size(), 3u);
  EXPECT_EQ(*b.records[0].data, "a");
  EXPECT_EQ(b.records[0].partition_key, "k0");
  EXPECT_EQ(*b.records[2].data, std::string("c\0c", 3));
  EXPECT_EQ(b.records[2].partition_key, "k2");
  EXPECT_EQ(q.depth(), 0u);
  EXPECT_GT(q.used_bytes(), 0u);  // on disk until delivered
  testing::Delivered(std::move(b.done), 3);
  EXPECT_EQ(q.used_bytes(), 0u);
}

TEST(SpoolQueueTest, PopWaitsForACommitFromAnotherThread) {
  TempDir t;
  SpoolQueue q("m", TestOptions(t.path()));
  ASSERT_TRUE(q.Start().ok());
  std::thread producer([&] { ASSERT_TRUE(Put(q, {"late"}).ok()); });
  QueueBatch b;
  for (int i = 0; i < 100 && b.records.empty(); ++i) {
    ASSERT_TRUE(q.Pop(b, 10, absl::Seconds(1)));
  }
  producer.join();
  ASSERT_EQ(b.records.size(), 1u);
  EXPECT_EQ(*b.records[0].data, "late");
  testing::Delivered(std::move(b.done), 1);
}

TEST(SpoolQueueTest, SegmentsRotateAndGoOnlyWhenEveryRecordCompleted) {
  TempDir t;
  SpoolOptions o = TestOptions(t.path());
  o.segment_bytes = 4096;
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  const std::string payload(500, 'p');
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(Put(q, {absl::StrCat(i, payload)}).ok());
  }
  const size_t segments = q.segment_count();
  ASSERT_GE(segments, 5u);
  EXPECT_EQ(SegmentFiles(o.dir).size(), segments);
  // Pop in batches of 4 and complete them in reverse order: nothing may be
  // deleted until the first batch completes.
  std::vector<testing::PendingBatch> pending;
  std::vector<std::string> got = PopAll(q, 4, &pending);
  ASSERT_EQ(got.size(), 40u);
  for (int i = 0; i < 40; ++i) EXPECT_EQ(got[i], absl::StrCat(i, payload));
  for (size_t i = pending.size() - 1; i >= 1; --i) pending[i].Deliver();
  EXPECT_EQ(q.segment_count(), segments);
  absl::SleepFor(absl::Milliseconds(50));  // give the deleter a chance
  EXPECT_EQ(SegmentFiles(o.dir).size(), segments);
  pending[0].Deliver();
  // Every sealed segment is delivered now; the one being written stays.
  EXPECT_TRUE(Eventually([&] { return SegmentFiles(o.dir).size() == 1; }));
  // (counted just after the unlink)
  EXPECT_TRUE(Eventually(
      [&] { return q.stats().segments_deleted.load() == segments - 1; }));
  EXPECT_EQ(q.used_bytes(), 0u);
}

TEST(SpoolQueueTest, CompletingALaterBatchDoesNotFreeAnEarlierSegment) {
  TempDir t;
  SpoolOptions o = TestOptions(t.path());
  o.segment_bytes = 4096;
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  const std::string payload(1000, 'x');
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(Put(q, {payload}).ok());
  QueueBatch first, rest;
  ASSERT_TRUE(q.Pop(first, 1, absl::ZeroDuration()));
  std::vector<testing::PendingBatch> pending;
  EXPECT_EQ(PopAll(q, 1000, &pending).size(), 11u);
  for (auto& p : pending) p.Deliver();
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_GE(SegmentFiles(o.dir).size(), 3u);
  // A restart now replays the first record's segment (at-least-once).
  testing::Delivered(std::move(first.done), 1);
  EXPECT_TRUE(Eventually([&] { return SegmentFiles(o.dir).size() == 1; }));
}

TEST(SpoolQueueTest, FullSpoolRefusesUntilDelivered) {
  TempDir t;
  SpoolOptions o = TestOptions(t.path());
  o.max_bytes = 1 << 20;
  o.segment_bytes = 64 << 10;
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  const std::string payload(10000, 'f');
  int accepted = 0;
  while (Put(q, {payload}).ok()) ++accepted;
  EXPECT_GE(accepted, 90);
  EXPECT_LE(q.used_bytes(), static_cast<uint64_t>(o.max_bytes));
  EXPECT_FALSE(q.Reserve(1, payload.size()));  // still full
  EXPECT_EQ(PopAll(q).size(), static_cast<size_t>(accepted));
  {
    QueueReservation r = q.Reserve(1, payload.size());
    EXPECT_TRUE(r);
  }  // dropped uncommitted: the room comes back
  EXPECT_EQ(q.used_bytes(), 0u);
}

TEST(SpoolQueueTest, DroppedReservationGivesItsRoomBack) {
  TempDir t;
  SpoolQueue q("m", TestOptions(t.path()));
  ASSERT_TRUE(q.Start().ok());
  {
    QueueReservation r = q.Reserve(3, 300);
    ASSERT_TRUE(r);
    EXPECT_GT(q.used_bytes(), 300u);
  }
  EXPECT_EQ(q.used_bytes(), 0u);
}

TEST(SpoolQueueTest, FsyncAlwaysSyncsBeforeCommitReturnsAndSharesSyncs) {
  TempDir t;
  SpoolOptions o = TestOptions(t.path());
  o.fsync_always = true;
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  const uint64_t before = q.stats().fsyncs.load();
  ASSERT_TRUE(Put(q, {"one"}).ok());
  EXPECT_EQ(q.stats().fsyncs.load(), before + 1);
  // Concurrent committers: every commit is covered by a sync, and no commit
  // needs more than one of its own.
  constexpr int kThreads = 8, kEach = 50;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < kEach; ++j) {
        EXPECT_TRUE(Put(q, {absl::StrCat(i, "-", j)}).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  const uint64_t syncs = q.stats().fsyncs.load() - before - 1;
  EXPECT_GE(syncs, 1u);
  EXPECT_LE(syncs, static_cast<uint64_t>(kThreads * kEach));
  EXPECT_EQ(PopAll(q).size(), 1u + kThreads * kEach);
}

TEST(SpoolQueueTest, FsyncIntervalSyncsInTheBackground) {
  TempDir t;
  SpoolOptions o = TestOptions(t.path());
  o.fsync_interval_ms = 5;
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  const uint64_t before = q.stats().fsyncs.load();
  ASSERT_TRUE(Put(q, {"one"}).ok());  // returns without syncing itself
  EXPECT_TRUE(Eventually([&] { return q.stats().fsyncs.load() > before; }));
  // Nothing new appended: no more syncs.
  const uint64_t settled = q.stats().fsyncs.load();
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(q.stats().fsyncs.load(), settled);
}

TEST(SpoolQueueTest, UnusableDirectoryFailsStartClearlyAndRefusesInputs) {
  TempDir t;
  const std::string file = t.path() + "/plain-file";
  { std::ofstream(file) << "x"; }
  SpoolOptions o = TestOptions(t.path());
  o.dir = file + "/spool";  // a directory under a regular file
  SpoolQueue q("kin", o);
  absl::Status st = q.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("module 'kin': spool"));
  EXPECT_THAT(st.message(), HasSubstr(o.dir));
  EXPECT_FALSE(q.Reserve(1, 10));
  EXPECT_FALSE(Put(q, {"v"}).ok());
  EXPECT_EQ(q.depth(), 0u);
}

TEST(SpoolQueueTest, SecondProcessOnTheSameDirectoryIsRefused) {
  TempDir t;
  SpoolQueue a("a", TestOptions(t.path()));
  ASSERT_TRUE(a.Start().ok());
  // flock locks are per open file description: a second open in this
  // process conflicts like another process would.
  SpoolQueue b("b", TestOptions(t.path()));
  absl::Status st = b.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("in use"));
}

// A write that fails (here: over the process's file size limit, EFBIG) is
// refused cleanly, leaves no partial frame, and writing works again once
// the cause is gone.
TEST(SpoolQueueTest, FailedWriteIsRefusedLeavesNoPartialFrameAndRecovers) {
  TempDir t;
  SpoolOptions o = TestOptions(t.path());
  o.segment_bytes = 64 << 20;
  signal(SIGXFSZ, SIG_IGN);
  rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  {
    SpoolQueue q("m", o);
    ASSERT_TRUE(q.Start().ok());
    PutRange(q, "ok", 0, 5);
    const std::string seg = SegmentFiles(o.dir).back();
    const uint64_t size = FileSize(seg);
    rlimit lim = old;
    lim.rlim_cur = size + 100;
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
    absl::Status st = Put(q, {std::string(1000, 'b')});
    ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
    ASSERT_FALSE(st.ok());
    EXPECT_THAT(st.message(), HasSubstr("write to"));
    EXPECT_EQ(FileSize(seg), size);
    EXPECT_EQ(q.stats().write_errors.load(), 1u);
    EXPECT_EQ(q.depth(), 5u);
    PutRange(q, "ok", 5, 8);
  }
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  EXPECT_EQ(q.stats().torn_tails_cut.load(), 0u);
  EXPECT_EQ(q.stats().damaged_regions.load(), 0u);
  EXPECT_THAT(PopAll(q), ElementsAreArray(Range("ok", 0, 8)));
}

TEST(SpoolQueueTest, CloseEndsPopAtOnceAndKeepsTheRest) {
  TempDir t;
  SpoolOptions o = TestOptions(t.path());
  {
    SpoolQueue q("m", o);
    ASSERT_TRUE(q.Start().ok());
    PutRange(q, "r", 0, 4);
    q.Close();
    EXPECT_FALSE(q.Reserve(1, 1));
    QueueBatch b;
    EXPECT_FALSE(q.Pop(b, 10, absl::Seconds(5)));
  }
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  EXPECT_THAT(PopAll(q), ElementsAreArray(Range("r", 0, 4)));
}

}  // namespace
}  // namespace streamgate
