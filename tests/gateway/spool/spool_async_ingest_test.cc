// Ingest's asynchronous path (Ingester::PublishEventsAsync over the Router's
// SubmitAsync) into two spooled modules with fsync always: the answer comes
// only once both modules have synced the input; inputs published while a
// sync is in progress share the next one; a failed sync in one module
// refuses the input and the other module, which had synced it, never
// delivers it; a full queue is refused before the call returns.
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fault_spool_env.h"
#include "tests/gateway/spool/spool_test_util.h"
#include "tests/gateway/spool/spooled_ingest.h"

namespace streamgate {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using testing::Eventually;
using testing::FaultSpoolEnv;
using ::testing::HasSubstr;
using testing::PopAll;
using testing::SpooledIngest;

constexpr char kTwoModules[] = R"(modules:
  - {id: first, subscribe_events: ["*"], sink: {type: stdout}}
  - {id: second, subscribe_events: ["*"], sink: {type: stdout}}
)";

// Answers of asynchronous publishes, by call.
class Answers {
 public:
  // Publishes one event of home `home`; its answer lands in slot `i`.
  void Publish(SpooledIngest& s, int64_t home) {
    size_t i;
    {
      absl::MutexLock lock(&mu_);
      results_.emplace_back();
      results_.back().status = absl::UnknownError("unanswered");
      i = results_.size() - 1;
    }
    EventInput e;
    e.event_type = "reading";
    e.home_id = home;
    e.timestamp = absl::FromUnixSeconds(1700000000);
    s.ingest().PublishEventsAsync({e}, {}, [this, i](IngestResult r) {
      absl::MutexLock lock(&mu_);
      results_[i] = std::move(r);
      ++answered_;
    });
  }
  int answered() {
    absl::MutexLock lock(&mu_);
    return answered_;
  }
  IngestResult result(size_t i) {
    absl::MutexLock lock(&mu_);
    return results_.at(i);
  }

 private:
  absl::Mutex mu_;
  std::vector<IngestResult> results_ ABSL_GUARDED_BY(mu_);
  int answered_ ABSL_GUARDED_BY(mu_) = 0;
};

// The homeIds of the rendered events a queue hands out.
std::vector<std::string> Homes(ModuleQueue& q) {
  std::vector<std::string> homes;
  for (const std::string& d : PopAll(q)) {
    const size_t at = d.find("\"homeId\":") + 9;
    homes.push_back(d.substr(at, d.find_first_of(",}", at) - at));
  }
  return homes;
}

TEST(SpoolAsyncIngestTest, AnsweredOnlyWhenEveryModuleSynced) {
  FaultSpoolEnv first_disk, second_disk;
  SpooledIngest s;
  ASSERT_TRUE(s.Start(kTwoModules, {&first_disk, &second_disk}).ok());
  Answers answers;
  second_disk.HoldSyncs();
  answers.Publish(s, 7);
  ASSERT_TRUE(Eventually([&] { return second_disk.held_syncs() == 1; }));
  // The first module has synced it; the second has not, so no answer.
  ASSERT_TRUE(Eventually([&] { return first_disk.UnsyncedBytes() == 0; }));
  EXPECT_EQ(answers.answered(), 0);
  EXPECT_THAT(Homes(s.queue(0)), ElementsAre());  // prepared, unpublished
  second_disk.ReleaseSyncs();
  ASSERT_TRUE(Eventually([&] { return answers.answered() == 1; }));
  EXPECT_TRUE(answers.result(0).ok()) << answers.result(0).status;
  EXPECT_EQ(answers.result(0).accepted, 1u);
  EXPECT_THAT(Homes(s.queue(0)), ElementsAre("7"));
  EXPECT_THAT(Homes(s.queue(1)), ElementsAre("7"));
  EXPECT_EQ(s.ingest().stats().events_accepted.load(), 1u);
}

TEST(SpoolAsyncIngestTest, InputsPublishedDuringASyncShareTheNextOne) {
  FaultSpoolEnv first_disk, second_disk;
  SpooledIngest s;
  ASSERT_TRUE(s.Start(kTwoModules, {&first_disk, &second_disk}).ok());
  const int first0 = first_disk.syncs();
  const int second0 = second_disk.syncs();
  Answers answers;
  first_disk.HoldSyncs();
  second_disk.HoldSyncs();
  answers.Publish(s, 1);
  ASSERT_TRUE(Eventually([&] {
    return first_disk.held_syncs() == 1 && second_disk.held_syncs() == 1;
  }));
  std::vector<std::string> homes{"1"};
  for (int64_t h = 2; h <= 20; ++h) {
    answers.Publish(s, h);  // returns at once: queued behind the sync
    homes.push_back(absl::StrCat(h));
  }
  EXPECT_EQ(answers.answered(), 0);
  first_disk.ReleaseSyncs();
  second_disk.ReleaseSyncs();
  ASSERT_TRUE(Eventually([&] { return answers.answered() == 20; }));
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_TRUE(answers.result(i).ok()) << i << answers.result(i).status;
  }
  // Per module: the first input's sync, then one for the other nineteen.
  EXPECT_EQ(first_disk.syncs() - first0, 2);
  EXPECT_EQ(second_disk.syncs() - second0, 2);
  EXPECT_THAT(Homes(s.queue(0)), ElementsAreArray(homes));
  EXPECT_THAT(Homes(s.queue(1)), ElementsAreArray(homes));
}

TEST(SpoolAsyncIngestTest, FailedSyncInOneModuleDeliversTheInputNowhere) {
  FaultSpoolEnv first_disk, second_disk;
  SpooledIngest s;
  ASSERT_TRUE(s.Start(kTwoModules, {&first_disk, &second_disk}).ok());
  Answers answers;
  answers.Publish(s, 1);
  ASSERT_TRUE(Eventually([&] { return answers.answered() == 1; }));
  second_disk.FailSyncs(absl::UnavailableError("Input/output error"), 1);
  answers.Publish(s, 2);
  ASSERT_TRUE(Eventually([&] { return answers.answered() == 2; }));
  const IngestResult refused = answers.result(1);
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(refused.reason, IngestReason::kStoreFailed);
  EXPECT_THAT(refused.message(), HasSubstr("module 'second'"));
  answers.Publish(s, 3);
  ASSERT_TRUE(Eventually([&] { return answers.answered() == 3; }));
  EXPECT_TRUE(answers.result(2).ok()) << answers.result(2).status;
  EXPECT_THAT(Homes(s.queue(0)), ElementsAre("1", "3"));
  EXPECT_THAT(Homes(s.queue(1)), ElementsAre("1", "3"));
  EXPECT_EQ(s.ingest().stats().events_accepted.load(), 2u);
}

// The commit thread publishes a group's inputs with the consumer's wake-up
// held back to the end; a consumer already waiting must still get them.
TEST(SpoolAsyncIngestTest, AWaitingConsumerIsWokenForTheGroup) {
  FaultSpoolEnv first_disk, second_disk;
  SpooledIngest s;
  ASSERT_TRUE(s.Start(kTwoModules, {&first_disk, &second_disk}).ok());
  QueueBatch got;
  std::thread consumer([&] {
    // Longer than the test's ctest timeout (120 s): a consumer nobody wakes
    // fails the test there; a woken one returns at once.
    s.queue(0).Pop(got, 100, absl::Minutes(10));
  });
  Answers answers;
  answers.Publish(s, 5);
  consumer.join();
  ASSERT_EQ(got.records.size(), 1u);
  EXPECT_THAT(*got.records[0].data, HasSubstr("\"homeId\":5"));
  testing::Delivered(std::move(got.done), 1);
  ASSERT_TRUE(Eventually([&] { return answers.answered() == 1; }));
}

TEST(SpoolAsyncIngestTest, RefusalsAreAnsweredBeforeTheCallReturns) {
  FaultSpoolEnv first_disk, second_disk;
  SpooledIngest s;
  ASSERT_TRUE(s.Start(kTwoModules, {&first_disk, &second_disk}).ok());
  first_disk.HoldSyncs();  // an answer after a sync could not come now
  EventInput bad;          // no event type
  bad.home_id = 1;
  bool answered = false;
  s.ingest().PublishEventsAsync({bad}, {}, [&](IngestResult r) {
    EXPECT_EQ(r.code(), absl::StatusCode::kInvalidArgument);
    answered = true;
  });
  EXPECT_TRUE(answered);
  s.ingest().StopAccepting();
  answered = false;
  EventInput e;
  e.event_type = "reading";
  e.home_id = 1;
  s.ingest().PublishEventsAsync({e}, {}, [&](IngestResult r) {
    EXPECT_EQ(r.code(), absl::StatusCode::kUnavailable);
    answered = true;
  });
  EXPECT_TRUE(answered);
  first_disk.ReleaseSyncs();
}

}  // namespace
}  // namespace streamgate
