// SpoolQueue over the fault-injecting file system (FaultSpoolEnv): failed
// fdatasyncs, a full disk, power loss with each fsync policy, and the torn
// tails and damaged regions a crash or the medium leaves.
#include <atomic>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gateway/spool/segment_format.h"
#include "gateway/spool/spool_queue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ostream_sink.h"
#include "tests/fakes/fault_spool_env.h"
#include "tests/gateway/spool/spool_test_util.h"

namespace streamgate {
namespace {

using ::testing::ElementsAreArray;
using testing::Eventually;
using testing::FaultSpoolEnv;
using ::testing::HasSubstr;
using testing::PopAll;
using testing::Put;
using testing::PutRange;
using testing::Range;

constexpr char kDir[] = "/disk/spool";

SpoolOptions Options(bool fsync_always) {
  SpoolOptions o;
  o.dir = kDir;
  o.max_bytes = 64 << 20;
  o.segment_bytes = 1 << 20;
  o.fsync_always = fsync_always;
  o.fsync_interval_ms = 5;
  return o;
}

// The spool's log lines, for the tests to read.
class CapturedLog {
 public:
  CapturedLog()
      : logger_(std::make_shared<spdlog::logger>(
            "spool", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_))) {
    logger_->set_pattern("%l %v");
  }
  std::shared_ptr<spdlog::logger> logger() const { return logger_; }
  std::string text() {
    logger_->flush();
    return out_.str();
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> logger_;
};

// (a) A failed fdatasync refuses the commit it covered; what was
// acknowledged before stays, commits work again once syncs do, and after a
// power loss every acknowledged record comes back, in order.
TEST(SpoolFaultTest, FailedFsyncRefusesTheCommitAndLosesNothingAcknowledged) {
  FaultSpoolEnv env;
  CapturedLog log;
  const SpoolOptions o = Options(/*fsync_always=*/true);
  {
    SpoolQueue q("m", o, &env, log.logger());
    ASSERT_TRUE(q.Start().ok());
    PutRange(q, "r", 0, 10);
    env.FailSyncs(absl::UnavailableError("Input/output error"), 1);
    absl::Status st = Put(q, {"refused"});
    EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
    EXPECT_THAT(st.message(),
                HasSubstr("module 'm': spool /disk/spool: fdatasync "
                          "/disk/spool/seg-00000000000000000001.log: "
                          "Input/output error"));
    EXPECT_THAT(log.text(), HasSubstr("error module 'm': spool /disk/spool: "
                                      "fdatasync"));
    PutRange(q, "r", 10, 20);  // the fault has cleared
    EXPECT_EQ(env.failed_syncs(), 1);
    env.PowerLoss();
  }
  env.Restart();
  SpoolQueue q("m", o, &env, log.logger());
  ASSERT_TRUE(q.Start().ok());
  EXPECT_THAT(PopAll(q), ElementsAreArray(Range("r", 0, 20)));
  // The failed sync dropped the refused record's bytes: a hole of zeros
  // between acknowledged records, which recovery skips.
  EXPECT_EQ(q.stats().damaged_regions.load(), 1u);
}

// (a) The sync that seals a full segment fails: that commit is refused, the
// segment is set aside, and the next commit starts a new one.
TEST(SpoolFaultTest, FailedFsyncAtRotationRefusesAndTheNextSegmentWorks) {
  FaultSpoolEnv env;
  CapturedLog log;
  SpoolOptions o = Options(/*fsync_always=*/true);
  o.segment_bytes = 4096;
  const std::string payload(1000, 'p');
  {
    SpoolQueue q("m", o, &env, log.logger());
    ASSERT_TRUE(q.Start().ok());
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(Put(q, {absl::StrCat(i, payload)}).ok());
    }
    ASSERT_EQ(env.SegmentFiles(kDir).size(), 1u);
    env.FailSyncs(absl::UnavailableError("Input/output error"), 1);
    absl::Status st = Put(q, {absl::StrCat("refused", payload)});
    EXPECT_THAT(st.message(), HasSubstr(": fdatasync ")) << st;
    for (int i = 4; i < 8; ++i) {
      ASSERT_TRUE(Put(q, {absl::StrCat(i, payload)}).ok()) << i;
    }
    EXPECT_EQ(env.SegmentFiles(kDir).size(), 2u);  // 4 records each
    env.PowerLoss();
  }
  env.Restart();
  SpoolQueue q("m", o, &env, log.logger());
  ASSERT_TRUE(q.Start().ok());
  std::vector<std::string> want;
  for (int i = 0; i < 8; ++i) want.push_back(absl::StrCat(i, payload));
  EXPECT_THAT(PopAll(q), ElementsAreArray(want));
}

// (b) The disk fills up: the write is refused with RESOURCE_EXHAUSTED and
// cut back, the segment is sealed so that delivering its records frees
// its space, and the queue goes on once there is room.
TEST(SpoolFaultTest, FullDiskRefusesTheWriteAndTheQueueKeepsWorking) {
  FaultSpoolEnv env;
  CapturedLog log;
  const SpoolOptions o = Options(/*fsync_always=*/false);
  const std::string big(300, 'b');
  const std::vector<std::string> first_records = Range(big, 0, 5);
  {
    SpoolQueue q("m", o, &env, log.logger());
    ASSERT_TRUE(q.Start().ok());
    for (const std::string& r : first_records) ASSERT_TRUE(Put(q, {r}).ok());
    const std::string first = env.SegmentFiles(kDir).back();
    const uint64_t size = env.FileSize(first);
    // Room for a segment header, not for a record.
    env.SetDiskBytes(env.UsedBytes() + 200);
    absl::Status st = Put(q, {big});
    EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted) << st;
    EXPECT_EQ(st.message(), absl::StrCat("module 'm': spool /disk/spool: "
                                         "write to ",
                                         first, ": No space left on device"));
    EXPECT_EQ(env.FileSize(first), size);  // no partial frame left
    // The next commit goes to a new segment and does not fit either.
    EXPECT_EQ(Put(q, {big}).code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(q.stats().write_errors.load(), 2u);
    EXPECT_EQ(q.depth(), 5u);
    // Delivering the records deletes their (sealed) segment, and the
    // reader lets go of it: the space comes back.
    EXPECT_THAT(PopAll(q), ElementsAreArray(first_records));
    EXPECT_TRUE(Eventually([&] {
      return env.SegmentFiles(kDir).size() == 1 &&
             env.SegmentFiles(kDir)[0] != first;
    }));
    ASSERT_TRUE(Put(q, {big}).ok());
  }
  // A clean restart finds no partial frame anywhere.
  SpoolQueue q("m", o, &env, log.logger());
  ASSERT_TRUE(q.Start().ok());
  EXPECT_EQ(q.stats().torn_tails_cut.load(), 0u);
  EXPECT_EQ(q.stats().damaged_regions.load(), 0u);
  EXPECT_THAT(PopAll(q), ElementsAreArray({big}));
}

// (c) fsync: always — committers on several threads, the power goes at
// some point: every record whose commit returned OK comes back, each
// thread's in its order.
TEST(SpoolFaultTest, PowerLossWithFsyncAlwaysKeepsEveryAcknowledgedRecord) {
  FaultSpoolEnv env;
  CapturedLog log;
  SpoolOptions o = Options(/*fsync_always=*/true);
  o.segment_bytes = 16 << 10;  // rotations during the run
  constexpr int kThreads = 4;
  absl::Mutex mu;
  std::vector<std::vector<std::string>> acked(kThreads);
  {
    SpoolQueue q("m", o, &env, log.logger());
    ASSERT_TRUE(q.Start().ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0;; ++i) {
          const std::string data = absl::StrCat("t", t, "-", i);
          if (!Put(q, {data}).ok()) return;  // the power is gone
          absl::MutexLock lock(&mu);
          acked[t].push_back(data);
        }
      });
    }
    EXPECT_TRUE(Eventually([&] {
      absl::MutexLock lock(&mu);
      size_t n = 0;
      for (const auto& a : acked) n += a.size();
      return n >= 400;
    }));
    env.PowerLoss();
    for (auto& th : threads) th.join();
  }
  env.Restart();
  SpoolQueue q("m", o, &env, log.logger());
  ASSERT_TRUE(q.Start().ok());
  std::vector<std::vector<std::string>> replayed(kThreads);
  for (const std::string& r : PopAll(q)) {
    replayed[r[1] - '0'].push_back(r);
  }
  for (int t = 0; t < kThreads; ++t) {
    // Each thread's records come back as a prefix of what it attempted:
    // all it acknowledged, maybe the one it was refused at the end.
    ASSERT_GE(replayed[t].size(), acked[t].size()) << t;
    EXPECT_LE(replayed[t].size(), acked[t].size() + 1) << t;
    for (size_t i = 0; i < replayed[t].size(); ++i) {
      EXPECT_EQ(replayed[t][i], absl::StrCat("t", t, "-", i));
    }
  }
}

// (c) fsync: N — commits return before the sync; a power loss takes only
// what no sync had covered.
TEST(SpoolFaultTest, PowerLossWithFsyncIntervalLosesOnlyWhatWasNotSynced) {
  FaultSpoolEnv env;
  CapturedLog log;
  const SpoolOptions o = Options(/*fsync_always=*/false);
  {
    SpoolQueue q("m", o, &env, log.logger());
    ASSERT_TRUE(q.Start().ok());
    PutRange(q, "r", 0, 100);
    EXPECT_TRUE(Eventually([&] { return env.UnsyncedBytes() == 0; }));
    // The disk stops syncing: these are acknowledged but never durable.
    env.FailSyncs(absl::UnavailableError("Input/output error"));
    PutRange(q, "r", 100, 120);
    EXPECT_TRUE(Eventually([&] { return env.failed_syncs() > 0; }));
    env.PowerLoss();
  }
  env.Restart();
  env.ClearFaults();
  SpoolQueue q("m", o, &env, log.logger());
  ASSERT_TRUE(q.Start().ok());
  EXPECT_THAT(PopAll(q), ElementsAreArray(Range("r", 0, 100)));
}

// (c) fsync: N with commits streaming when the power goes: what comes back
// is a prefix of what was committed, holding at least every record that a
// sync begun after its commit covered (two completed syncs later).
TEST(SpoolFaultTest, PowerLossWithFsyncIntervalKeepsAPrefixUpToTheLastSync) {
  FaultSpoolEnv env;
  CapturedLog log;
  SpoolOptions o = Options(/*fsync_always=*/false);
  o.fsync_interval_ms = 2;
  o.segment_bytes = 16 << 10;
  std::vector<uint64_t> syncs_after;  // fsyncs counted after commit i
  uint64_t syncs_at_loss = 0;
  {
    SpoolQueue q("m", o, &env, log.logger());
    ASSERT_TRUE(q.Start().ok());
    std::atomic<bool> stop{false};
    std::thread producer([&] {
      for (int i = 0; !stop.load(); ++i) {
        if (!Put(q, {absl::StrCat("r", i)}).ok()) return;
        syncs_after.push_back(q.stats().fsyncs.load());
      }
    });
    absl::SleepFor(absl::Milliseconds(50));
    syncs_at_loss = q.stats().fsyncs.load();  // each completed before...
    env.PowerLoss();                          // ...this
    stop = true;
    producer.join();
  }
  env.Restart();
  SpoolQueue q("m", o, &env, log.logger());
  ASSERT_TRUE(q.Start().ok());
  const std::vector<std::string> replayed = PopAll(q);
  size_t must_keep = 0;
  while (must_keep < syncs_after.size() &&
         syncs_after[must_keep] + 2 <= syncs_at_loss) {
    ++must_keep;
  }
  EXPECT_GT(must_keep, 0u);
  EXPECT_GE(replayed.size(), must_keep);
  EXPECT_LE(replayed.size(), syncs_after.size());
  EXPECT_THAT(replayed, ElementsAreArray(Range("r", 0, replayed.size())));
}

// (d) The power goes while a record is half written to the disk: its torn
// frame is cut at the next start and everything synced before it stays.
TEST(SpoolFaultTest, TornWriteAtPowerLossIsCutAtTheNextStart) {
  FaultSpoolEnv env;
  CapturedLog log;
  const std::string record(1000, 't');
  {
    SpoolQueue q("m", Options(/*fsync_always=*/true), &env, log.logger());
    ASSERT_TRUE(q.Start().ok());
    PutRange(q, "r", 0, 10);
  }
  SpoolOptions slow = Options(/*fsync_always=*/false);
  slow.fsync_interval_ms = 60000;  // nothing synced before the power goes
  {
    SpoolQueue q("m", slow, &env, log.logger());
    ASSERT_TRUE(q.Start().ok());
    ASSERT_TRUE(Put(q, {record}).ok());
    env.PowerLoss(/*torn=*/true);
  }
  env.Restart();
  SpoolQueue q("m", slow, &env, log.logger());
  ASSERT_TRUE(q.Start().ok());
  EXPECT_EQ(q.stats().torn_tails_cut.load(), 1u);
  EXPECT_EQ(q.stats().torn_bytes_cut.load(),
            spool::FrameBytes(2, record.size()) / 2);
  EXPECT_EQ(q.stats().damaged_regions.load(), 0u);
  EXPECT_THAT(log.text(),
              HasSubstr("warning spool /disk/spool: cut "
                        "a torn tail of "));
  EXPECT_THAT(PopAll(q), ElementsAreArray(Range("r", 0, 10)));
}

// (d) Bytes damaged on the medium in the middle of a segment: the frame
// there is skipped and counted, the records around it are kept.
TEST(SpoolFaultTest, DamagedRegionIsSkippedAndTheRestKept) {
  FaultSpoolEnv env;
  CapturedLog log;
  const SpoolOptions o = Options(/*fsync_always=*/true);
  std::string segment;
  uint64_t damaged_at = 0;
  {
    SpoolQueue q("m", o, &env, log.logger());
    ASSERT_TRUE(q.Start().ok());
    PutRange(q, "record-", 0, 10);
    segment = env.SegmentFiles(kDir).back();
    damaged_at = env.FileSize(segment);
    PutRange(q, "record-", 10, 30);
  }
  env.FlipByte(segment, damaged_at + 14);  // inside record 10's frame
  SpoolQueue q("m", o, &env, log.logger());
  ASSERT_TRUE(q.Start().ok());
  EXPECT_EQ(q.stats().damaged_regions.load(), 1u);
  EXPECT_EQ(q.stats().torn_tails_cut.load(), 0u);
  EXPECT_THAT(log.text(), HasSubstr("are damaged; skipped (records there are "
                                    "lost)"));
  std::vector<std::string> want = Range("record-", 0, 10);
  for (const std::string& s : Range("record-", 11, 30)) want.push_back(s);
  EXPECT_THAT(PopAll(q), ElementsAreArray(want));
}

}  // namespace
}  // namespace streamgate
