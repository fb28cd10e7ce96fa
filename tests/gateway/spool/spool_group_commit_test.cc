// The spool's group commit over the fault-injecting file system: committers
// queued behind a sync in progress share one write and one fdatasync; a
// failed sync fails its whole group and none of it is delivered; and power
// lost at random points keeps every acknowledged record, in order per
// producer.
#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gateway/spool/spool_queue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/null_sink.h"
#include "tests/fakes/fault_spool_env.h"
#include "tests/gateway/spool/spool_test_util.h"

namespace streamgate {
namespace {

using ::testing::ElementsAre;
using testing::Eventually;
using testing::FaultSpoolEnv;
using ::testing::HasSubstr;
using testing::PopAll;
using testing::Put;
using testing::QuietLogger;
using testing::SyncedFakeDiskOptions;

// One committer leads and is parked in its fdatasync; seven queue behind
// it. `statuses` gets each one's answer once the syncs are released.
void LineUpBehindASync(FaultSpoolEnv& env, SpoolQueue& q,
                       std::vector<absl::Status>& statuses,
                       std::vector<std::thread>& threads) {
  statuses.assign(8, absl::UnknownError("unanswered"));
  env.HoldSyncs();
  threads.emplace_back([&] { statuses[0] = Put(q, {"lead"}); });
  ASSERT_TRUE(Eventually([&] { return env.held_syncs() == 1; }));
  for (int i = 1; i < 8; ++i) {
    threads.emplace_back([&, i] {
      statuses[i] = Put(q, {absl::StrCat("f", i), "x"});
    });
  }
  ASSERT_TRUE(
      Eventually([&] { return q.stats().commits_waiting.load() == 7; }));
}

TEST(SpoolGroupCommitTest, QueuedCommittersShareOneWriteAndOneSync) {
  FaultSpoolEnv env;
  SpoolQueue q("m", SyncedFakeDiskOptions(), &env, QuietLogger());
  ASSERT_TRUE(q.Start().ok());
  const int writes0 = env.writes();
  const int syncs0 = env.syncs();
  std::vector<absl::Status> statuses;
  std::vector<std::thread> threads;
  LineUpBehindASync(env, q, statuses, threads);
  env.ReleaseSyncs();
  for (auto& t : threads) t.join();
  for (const absl::Status& st : statuses) EXPECT_TRUE(st.ok()) << st;
  // The leader's own write and sync, then one of each for the seven.
  EXPECT_EQ(env.writes() - writes0, 2);
  EXPECT_EQ(env.syncs() - syncs0, 2);
  EXPECT_EQ(q.stats().commits.load(), 8u);
  EXPECT_EQ(q.stats().commit_writes.load(), 2u);
  EXPECT_EQ(env.UnsyncedBytes(), 0u);
  const std::vector<std::string> out = PopAll(q);
  ASSERT_EQ(out.size(), 15u);
  EXPECT_EQ(out[0], "lead");
}

TEST(SpoolGroupCommitTest, FailedSyncFailsTheWholeGroupAndNoneIsDelivered) {
  FaultSpoolEnv env;
  SpoolQueue q("m", SyncedFakeDiskOptions(), &env, QuietLogger());
  ASSERT_TRUE(q.Start().ok());
  ASSERT_TRUE(Put(q, {"before"}).ok());
  std::vector<absl::Status> statuses;
  std::vector<std::thread> threads;
  LineUpBehindASync(env, q, statuses, threads);
  // The leader's parked sync and the group's next one both fail.
  env.FailSyncs(absl::UnavailableError("Input/output error"), 2);
  env.ReleaseSyncs();
  for (auto& t : threads) t.join();
  for (const absl::Status& st : statuses) {
    EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
    EXPECT_THAT(st.message(), HasSubstr("fdatasync"));
  }
  EXPECT_EQ(q.stats().write_errors.load(), 8u);
  ASSERT_TRUE(Put(q, {"after"}).ok());
  // The refused records were written, but the reader steps over them.
  EXPECT_THAT(PopAll(q), ElementsAre("before", "after"));
  EXPECT_EQ(q.depth(), 0u);
}

// Producers commit inputs of 1 to 3 records as fast as they can; the power
// goes after a random number of acknowledgements, sometimes mid-write (a
// torn tail). After the restart each producer's records come back as a
// prefix of what it attempted, in order, at least as long as what it was
// acknowledged.
TEST(SpoolGroupCommitTest,
     PowerLossAtRandomPointsKeepsEveryAcknowledgedRecord) {
  constexpr int kProducers = 8;
  std::mt19937 rng(20261202);
  for (int round = 0; round < 8; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round));
    FaultSpoolEnv env;
    SpoolOptions o = SyncedFakeDiskOptions();
    o.segment_bytes = 8 << 10;  // rotations during the run
    const size_t crash_after = 1 + rng() % 600;
    const bool torn = rng() % 2 == 0;
    absl::Mutex mu;
    std::vector<size_t> acked(kProducers, 0);  // records acknowledged
    size_t total = 0;
    {
      SpoolQueue q("m", o, &env, QuietLogger());
      ASSERT_TRUE(q.Start().ok());
      std::vector<std::thread> threads;
      for (int t = 0; t < kProducers; ++t) {
        threads.emplace_back([&, t, seed = rng()] {
          std::mt19937 local(seed);
          size_t next = 0;
          while (true) {
            std::vector<std::string> input;
            const size_t n = 1 + local() % 3;
            for (size_t j = 0; j < n; ++j) {
              input.push_back(absl::StrCat(t, "-", next + j));
            }
            if (!Put(q, input).ok()) return;  // the power is gone
            next += n;
            absl::MutexLock lock(&mu);
            acked[t] = next;
            total += n;
          }
        });
      }
      ASSERT_TRUE(Eventually([&] {
        absl::MutexLock lock(&mu);
        return total >= crash_after;
      }));
      env.PowerLoss(torn);
      for (auto& th : threads) th.join();
    }
    env.Restart();
    SpoolQueue q("m", o, &env, QuietLogger());
    ASSERT_TRUE(q.Start().ok());
    std::vector<std::vector<std::string>> replayed(kProducers);
    for (const std::string& r : PopAll(q)) {
      replayed[r[0] - '0'].push_back(r);
    }
    for (int t = 0; t < kProducers; ++t) {
      ASSERT_GE(replayed[t].size(), acked[t]) << "producer " << t;
      for (size_t i = 0; i < replayed[t].size(); ++i) {
        ASSERT_EQ(replayed[t][i], absl::StrCat(t, "-", i)) << "producer " << t;
      }
    }
  }
}

}  // namespace
}  // namespace streamgate
