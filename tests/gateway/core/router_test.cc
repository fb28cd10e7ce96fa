// Router: matching event types and labels to modules ("*", lists, labels,
// label "*"), and all-or-nothing submission checked against a ledger of
// reservations (tests/fakes/recording_queue.h).
#include "gateway/core/router.h"

#include <memory>
#include <string>
#include <vector>

#include "gateway/core/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/recording_queue.h"

namespace streamgate {
namespace {

// The top-level sections the built-in adapters own.
const std::vector<std::string> kTestAdapterSections = {"grpc", "api_keys",
                                                       "mqtt"};

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::RecordingQueue;

class RouterTest : public ::testing::Test {
 protected:
  void Build(const std::string& yaml) {
    auto c = ParseConfig(yaml, "router.yaml", kTestAdapterSections);
    ASSERT_TRUE(c.ok()) << c.status();
    config_ = std::move(*c);
    std::vector<RoutedModule> routed;
    for (const ModuleConfig& m : config_.modules) {
      queues_.push_back(std::make_unique<RecordingQueue>());
      stats_.push_back(std::make_unique<ModuleCounters>());
      routed.push_back(RoutedModule{m.id, m.use_uuid, queues_.back().get(),
                                    stats_.back().get(), nullptr,
                                    absl::nullopt});
    }
    router_ = std::make_unique<Router>(config_.modules, std::move(routed));
  }

  static ModuleShare Share(std::vector<std::string> datas) {
    ModuleShare s;
    for (auto& d : datas) {
      OutRecord r{std::make_shared<const std::string>(d), "k"};
      s.bytes += r.size();
      s.records.push_back(std::move(r));
    }
    return s;
  }

  GatewayConfig config_;
  std::vector<std::unique_ptr<RecordingQueue>> queues_;
  std::vector<std::unique_ptr<ModuleCounters>> stats_;
  std::unique_ptr<Router> router_;
};

constexpr char kModules[] = R"(
modules:
  - {id: all, subscribe_events: ["*"], sink: {type: stdout}}
  - {id: alarms, subscribe_events: [alarm, fire], sink: {type: stdout}}
  - {id: tele, bulk_data_label: telemetry, sink: {type: stdout}}
  - {id: anylabel, bulk_data_label: "*", sink: {type: stdout}}
  - {id: both, subscribe_events: [fire], bulk_data_label: logs, sink: {type: stdout}}
)";

TEST_F(RouterTest, StarMatchesEveryEventType) {
  Build(kModules);
  EXPECT_THAT(router_->MatchEvent("anything"), ElementsAre(0));
  EXPECT_THAT(router_->MatchEvent(""), ElementsAre(0));
}

TEST_F(RouterTest, ListedTypesAddTheirModulesToStar) {
  Build(kModules);
  EXPECT_THAT(router_->MatchEvent("alarm"), ElementsAre(0, 1));
  EXPECT_THAT(router_->MatchEvent("fire"), ElementsAre(0, 1, 4));
  EXPECT_THAT(router_->MatchEvent("Alarm"), ElementsAre(0));  // exact match
}

TEST_F(RouterTest, LabelsAndStarLabel) {
  Build(kModules);
  EXPECT_THAT(router_->MatchLabel("telemetry"), ElementsAre(2, 3));
  EXPECT_THAT(router_->MatchLabel("logs"), ElementsAre(3, 4));
  EXPECT_THAT(router_->MatchLabel("other"), ElementsAre(3));
}

TEST_F(RouterTest, EventsAndLabelsAreSeparateNamespaces) {
  Build(R"(
modules:
  - {id: ev, subscribe_events: [telemetry], sink: {type: stdout}}
  - {id: bulk, bulk_data_label: alarm, sink: {type: stdout}}
)");
  EXPECT_THAT(router_->MatchEvent("telemetry"), ElementsAre(0));
  EXPECT_THAT(router_->MatchEvent("alarm"), IsEmpty());
  EXPECT_THAT(router_->MatchLabel("alarm"), ElementsAre(1));
  EXPECT_THAT(router_->MatchLabel("telemetry"), IsEmpty());
}

TEST_F(RouterTest, NothingMatches) {
  Build(R"(
modules:
  - {id: a, subscribe_events: [alarm], sink: {type: stdout}}
)");
  EXPECT_THAT(router_->MatchEvent("other"), IsEmpty());
  EXPECT_THAT(router_->MatchLabel("telemetry"), IsEmpty());
}

TEST_F(RouterTest, StarPlusListedTypeMatchesOnce) {
  Build(R"(
modules:
  - {id: a, subscribe_events: ["*", alarm], sink: {type: stdout}}
  - {id: b, subscribe_events: [alarm], sink: {type: stdout}}
)");
  EXPECT_THAT(router_->MatchEvent("alarm"), ElementsAre(0, 1));
  EXPECT_THAT(router_->MatchEvent("x"), ElementsAre(0));
}

TEST_F(RouterTest, SubmitCommitsEveryNonEmptyShare) {
  Build(kModules);
  std::vector<ModuleShare> shares(5);
  shares[0] = Share({"a", "bb"});
  shares[2] = Share({"ccc"});
  ASSERT_TRUE(router_->Submit(shares).ok());
  ASSERT_EQ(queues_[0]->committed().size(), 2u);
  EXPECT_EQ(*queues_[0]->committed()[1].data, "bb");
  EXPECT_EQ(queues_[2]->committed().size(), 1u);
  EXPECT_EQ(queues_[1]->reserve_calls(), 0);  // empty shares are skipped
  for (auto& q : queues_) EXPECT_EQ(q->outstanding_records(), 0);
  EXPECT_EQ(queues_[0]->committed_bytes(), 2u + 3u);  // data + key "k"
  EXPECT_EQ(stats_[0]->accepted_records.load(), 2u);
  EXPECT_EQ(stats_[0]->accepted_bytes.load(), 5u);
  EXPECT_EQ(stats_[2]->accepted_records.load(), 1u);
}

TEST_F(RouterTest, OneFullQueueRefusesAllAndCancelsEveryReservation) {
  Build(kModules);
  queues_[3]->set_accepting(false);
  std::vector<ModuleShare> shares(5);
  shares[0] = Share({"a"});
  shares[2] = Share({"b", "c"});
  shares[3] = Share({"d"});
  shares[4] = Share({"e"});
  absl::Status st = router_->Submit(shares);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(st.message(), HasSubstr("anylabel"));
  for (size_t i = 0; i < queues_.size(); ++i) {
    EXPECT_EQ(queues_[i]->depth(), 0u) << i;
    EXPECT_EQ(queues_[i]->outstanding_records(), 0) << i;
    EXPECT_EQ(queues_[i]->outstanding_bytes(), 0) << i;
  }
  EXPECT_EQ(queues_[0]->cancel_calls(), 1);
  EXPECT_EQ(queues_[2]->cancel_calls(), 1);
  EXPECT_EQ(stats_[3]->rejected_full.load(), 1u);
  EXPECT_EQ(stats_[0]->accepted_records.load(), 0u);
  // The caller's shares are untouched, so a retry can resubmit them.
  EXPECT_EQ(shares[2].records.size(), 2u);
  queues_[3]->set_accepting(true);
  ASSERT_TRUE(router_->Submit(shares).ok());
  EXPECT_EQ(queues_[2]->depth(), 2u);
  EXPECT_EQ(queues_[4]->depth(), 1u);
}

TEST_F(RouterTest, FirstQueueFullReservesNothingElse) {
  Build(kModules);
  queues_[0]->set_accepting(false);
  std::vector<ModuleShare> shares(5);
  shares[0] = Share({"a"});
  shares[1] = Share({"b"});
  EXPECT_EQ(router_->Submit(shares).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(queues_[1]->outstanding_records(), 0);
  EXPECT_EQ(queues_[1]->depth(), 0u);
}

}  // namespace
}  // namespace streamgate

namespace streamgate {
namespace {

// Issue 15 item 6: a module that cannot store the input (its spool's write
// failed) after an earlier one stored it: the earlier one's prepared input
// is aborted, a later one's reservation cancelled, nothing is published.
TEST_F(RouterTest, FailedPrepareAbortsTheModulesPreparedBeforeIt) {
  Build(kModules);
  queues_[1]->set_commit_error(absl::ResourceExhaustedError(
      "spool /s: write to /s/seg-1.log: No space left on device"));
  std::vector<ModuleShare> shares(5);
  shares[0] = Share({"a"});
  shares[1] = Share({"b"});
  shares[4] = Share({"c"});
  absl::Status st = router_->Submit(shares);
  EXPECT_EQ(st.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(st.message(),
            "module 'alarms': spool /s: write to /s/seg-1.log: No space left "
            "on device");
  EXPECT_EQ(queues_[0]->abort_calls(), 1);
  EXPECT_EQ(queues_[4]->cancel_calls(), 1);
  for (const auto& q : queues_) {
    EXPECT_THAT(q->committed(), IsEmpty());
    EXPECT_EQ(q->outstanding_records(), 0);
  }
  EXPECT_EQ(stats_[0]->accepted_records.load(), 0u);
}

// SubmitAsync: the queues answer their prepares later and out of order
// (RecordingQueue::set_defer_async); nothing is published, and the
// completion does not run, until the last answer.
TEST_F(RouterTest, SubmitAsyncPublishesOnlyOnceEveryModuleAnswered) {
  Build(kModules);
  queues_[0]->set_defer_async(true);
  queues_[4]->set_defer_async(true);
  std::vector<ModuleShare> shares(5);
  shares[0] = Share({"a"});
  shares[1] = Share({"b"});  // answers inline
  shares[4] = Share({"c"});
  int answers = 0;
  absl::Status got = absl::UnknownError("unanswered");
  router_->SubmitAsync(shares, [&](absl::Status st) {
    ++answers;
    got = std::move(st);
  });
  EXPECT_EQ(answers, 0);
  EXPECT_EQ(queues_[4]->AnswerDeferred(), 1u);
  EXPECT_EQ(answers, 0);
  for (const auto& q : queues_) EXPECT_THAT(q->committed(), IsEmpty());
  EXPECT_EQ(queues_[0]->AnswerDeferred(), 1u);
  EXPECT_EQ(answers, 1);
  EXPECT_TRUE(got.ok()) << got;
  EXPECT_EQ(queues_[0]->committed().size(), 1u);
  EXPECT_EQ(queues_[1]->committed().size(), 1u);
  EXPECT_EQ(queues_[4]->committed().size(), 1u);
  for (const auto& q : queues_) EXPECT_EQ(q->outstanding_records(), 0);
  EXPECT_EQ(stats_[4]->accepted_records.load(), 1u);
}

TEST_F(RouterTest, SubmitAsyncFailureNamesTheFirstFailedModuleAndAbortsAll) {
  Build(kModules);
  queues_[0]->set_defer_async(true);
  queues_[4]->set_defer_async(true);
  queues_[1]->set_commit_error(absl::UnavailableError("fdatasync failed"));
  queues_[4]->set_commit_error(absl::UnavailableError("write failed"));
  std::vector<ModuleShare> shares(5);
  shares[0] = Share({"a"});
  shares[1] = Share({"b"});
  shares[4] = Share({"c"});
  int answers = 0;
  absl::Status got;
  router_->SubmitAsync(shares, [&](absl::Status st) {
    ++answers;
    got = std::move(st);
  });
  // The later module answers first; the message still names the first
  // failed one in table order.
  queues_[4]->AnswerDeferred();
  EXPECT_EQ(answers, 0);
  queues_[0]->AnswerDeferred();
  ASSERT_EQ(answers, 1);
  EXPECT_EQ(got.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(got.message(), "module 'alarms': fdatasync failed");
  EXPECT_EQ(queues_[0]->abort_calls(), 1);  // it had prepared
  for (const auto& q : queues_) {
    EXPECT_THAT(q->committed(), IsEmpty());
    EXPECT_EQ(q->outstanding_records(), 0);
  }
  EXPECT_EQ(stats_[0]->accepted_records.load(), 0u);
}

TEST_F(RouterTest, SubmitAsyncFullQueueAnswersBeforeReturning) {
  Build(kModules);
  queues_[0]->set_defer_async(true);
  queues_[4]->set_accepting(false);
  std::vector<ModuleShare> shares(5);
  shares[0] = Share({"a"});
  shares[4] = Share({"c"});
  int answers = 0;
  absl::Status got;
  router_->SubmitAsync(shares, [&](absl::Status st) {
    ++answers;
    got = std::move(st);
  });
  ASSERT_EQ(answers, 1);
  EXPECT_EQ(got.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(queues_[0]->AnswerDeferred(), 0u);  // never prepared
  for (const auto& q : queues_) EXPECT_EQ(q->outstanding_records(), 0);
}

}  // namespace
}  // namespace streamgate
