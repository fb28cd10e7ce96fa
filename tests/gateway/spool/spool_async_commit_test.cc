// The spool's asynchronous commit (QueueReservation::PrepareAsync with
// fsync always) over the fault-injecting file system: an answer never comes
// before the fdatasync that covers it, the commits queued behind a sync in
// progress share the next write and sync, blocking and asynchronous
// committers share one group, and a failed sync fails every commit of its
// group, none of which is delivered.
#include <atomic>
#include <memory>
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
using ::testing::ElementsAreArray;
using testing::Eventually;
using testing::FaultSpoolEnv;
using ::testing::HasSubstr;
using testing::PopAll;
using testing::Put;
using testing::QuietLogger;
using testing::Rec;
using testing::SyncedFakeDiskOptions;

// Asynchronous commits of one record each, and their answers.
class AsyncCommits {
 public:
  explicit AsyncCommits(ModuleQueue& q) : q_(q) {}

  // Reserves and starts preparing `data`; false when the reservation was
  // refused.
  bool Start(const std::string& data) {
    OutBatch batch{Rec("k", data)};
    auto r =
        std::make_unique<QueueReservation>(q_.Reserve(1, batch.front().size()));
    if (!*r) return false;
    QueueReservation* held = r.get();
    size_t i;
    {
      absl::MutexLock lock(&mu_);
      held_.push_back(std::move(r));
      statuses_.push_back(absl::UnknownError("unanswered"));
      i = held_.size() - 1;
    }
    held->PrepareAsync(std::move(batch), [this, i](absl::Status st) {
      absl::MutexLock lock(&mu_);
      statuses_[i] = std::move(st);
      ++answered_;
    });
    return true;
  }
  int answered() {
    absl::MutexLock lock(&mu_);
    return answered_;
  }
  std::vector<absl::Status> statuses() {
    absl::MutexLock lock(&mu_);
    return statuses_;
  }
  // Phase two for every prepared one, in order.
  void PublishAll() {
    absl::MutexLock lock(&mu_);
    for (auto& r : held_) std::move(*r).Publish();
  }

 private:
  ModuleQueue& q_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<QueueReservation>> held_ ABSL_GUARDED_BY(mu_);
  std::vector<absl::Status> statuses_ ABSL_GUARDED_BY(mu_);
  int answered_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(SpoolAsyncCommitTest, AnswersWaitForTheSyncAndQueuedCommitsShareOne) {
  FaultSpoolEnv env;
  SpoolQueue q("m", SyncedFakeDiskOptions(), &env, QuietLogger());
  ASSERT_TRUE(q.Start().ok());
  const int writes0 = env.writes();
  const int syncs0 = env.syncs();
  AsyncCommits commits(q);
  env.HoldSyncs();
  ASSERT_TRUE(commits.Start("lead"));
  // The commit thread wrote it and is parked in its fdatasync.
  ASSERT_TRUE(Eventually([&] { return env.held_syncs() == 1; }));
  std::vector<std::string> expected{"lead"};
  for (int i = 1; i < 8; ++i) {
    ASSERT_TRUE(commits.Start(absl::StrCat("r", i)));
    expected.push_back(absl::StrCat("r", i));
  }
  // Every call returned; no answer can come while the sync is parked.
  EXPECT_EQ(commits.answered(), 0);
  env.ReleaseSyncs();
  ASSERT_TRUE(Eventually([&] { return commits.answered() == 8; }));
  for (const absl::Status& st : commits.statuses()) EXPECT_TRUE(st.ok()) << st;
  // The leader's write and sync, then one of each for the seven.
  EXPECT_EQ(env.writes() - writes0, 2);
  EXPECT_EQ(env.syncs() - syncs0, 2);
  EXPECT_EQ(q.stats().commit_writes.load(), 2u);
  EXPECT_EQ(env.UnsyncedBytes(), 0u);
  // Prepared, not published: the consumer sees nothing yet.
  EXPECT_THAT(PopAll(q), ElementsAre());
  commits.PublishAll();
  EXPECT_THAT(PopAll(q), ElementsAreArray(expected));
}

TEST(SpoolAsyncCommitTest, BlockingAndAsyncCommittersShareAGroup) {
  FaultSpoolEnv env;
  SpoolQueue q("m", SyncedFakeDiskOptions(), &env, QuietLogger());
  ASSERT_TRUE(q.Start().ok());
  const int syncs0 = env.syncs();
  AsyncCommits commits(q);
  env.HoldSyncs();
  ASSERT_TRUE(commits.Start("lead"));
  ASSERT_TRUE(Eventually([&] { return env.held_syncs() == 1; }));
  ASSERT_TRUE(commits.Start("async-1"));
  absl::Status blocking = absl::UnknownError("unanswered");
  std::thread t([&] { blocking = Put(q, {"blocking"}); });
  ASSERT_TRUE(
      Eventually([&] { return q.stats().commits_waiting.load() == 1; }));
  ASSERT_TRUE(commits.Start("async-2"));
  env.ReleaseSyncs();
  t.join();
  EXPECT_TRUE(blocking.ok()) << blocking;
  ASSERT_TRUE(Eventually([&] { return commits.answered() == 3; }));
  for (const absl::Status& st : commits.statuses()) EXPECT_TRUE(st.ok()) << st;
  // The lead's sync, then one for the three queued behind it.
  EXPECT_EQ(env.syncs() - syncs0, 2);
  commits.PublishAll();
  EXPECT_THAT(PopAll(q), ElementsAre("lead", "async-1", "blocking", "async-2"));
}

TEST(SpoolAsyncCommitTest, FailedSyncFailsTheGroupAndNoneIsDelivered) {
  FaultSpoolEnv env;
  SpoolQueue q("m", SyncedFakeDiskOptions(), &env, QuietLogger());
  ASSERT_TRUE(q.Start().ok());
  ASSERT_TRUE(Put(q, {"before"}).ok());
  AsyncCommits commits(q);
  env.HoldSyncs();
  ASSERT_TRUE(commits.Start("lead"));
  ASSERT_TRUE(Eventually([&] { return env.held_syncs() == 1; }));
  for (int i = 1; i < 5; ++i) ASSERT_TRUE(commits.Start(absl::StrCat("r", i)));
  // The parked sync and the group's next one both fail.
  env.FailSyncs(absl::UnavailableError("Input/output error"), 2);
  env.ReleaseSyncs();
  ASSERT_TRUE(Eventually([&] { return commits.answered() == 5; }));
  for (const absl::Status& st : commits.statuses()) {
    EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable) << st;
    EXPECT_THAT(st.message(), HasSubstr("fdatasync"));
  }
  commits.PublishAll();  // nothing to publish: every reservation failed
  ASSERT_TRUE(Put(q, {"after"}).ok());
  EXPECT_THAT(PopAll(q), ElementsAre("before", "after"));
  EXPECT_EQ(q.used_bytes(), 0u);
}

TEST(SpoolAsyncCommitTest, WithoutFsyncAlwaysTheAnswerComesInline) {
  FaultSpoolEnv env;
  SpoolOptions o = SyncedFakeDiskOptions();
  o.fsync_always = false;
  o.fsync_interval_ms = 5;
  SpoolQueue q("m", o, &env, QuietLogger());
  ASSERT_TRUE(q.Start().ok());
  AsyncCommits commits(q);
  ASSERT_TRUE(commits.Start("one"));
  EXPECT_EQ(commits.answered(), 1);
  commits.PublishAll();
  EXPECT_THAT(PopAll(q), ElementsAre("one"));
}

}  // namespace
}  // namespace streamgate
