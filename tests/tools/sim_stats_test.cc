// SimStats: counts and the summary the simulator prints, including the first
// failure reason per code (what tells a user why a run failed).
#include "tools/sim/sim_stats.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate::sim {
namespace {

using ::testing::HasSubstr;

TEST(SimStatsTest, SummaryCountsByCodeAndKeepsTheFirstReasonPerCode) {
  SimStats stats;
  stats.Sent(4, 6);
  stats.Acked(1, 1);
  stats.Failed("INVALID_ARGUMENT", 1, 2, "home_id: required (device 7)");
  stats.Failed("INVALID_ARGUMENT", 1, 2, "a later reason");
  stats.Failed("UNAVAILABLE", 1, 1);  // no reason given
  const std::string summary = stats.Summary("grpc", 2.0);
  EXPECT_THAT(summary, HasSubstr("sent_messages=4 sent_records=6"));
  EXPECT_THAT(summary, HasSubstr("acked_messages=1 acked_records=1"));
  EXPECT_THAT(summary, HasSubstr("failed_messages=3 failed_records=5"));
  EXPECT_THAT(summary, HasSubstr("failed_INVALID_ARGUMENT=2"));
  EXPECT_THAT(summary, HasSubstr("failed_UNAVAILABLE=1"));
  EXPECT_EQ(stats.FailureReasons(),
            "first INVALID_ARGUMENT: home_id: required (device 7)\n");
}

TEST(SimStatsTest, NoFailuresNoReasons) {
  SimStats stats;
  stats.Sent(1, 1);
  stats.Acked(1, 1);
  EXPECT_EQ(stats.FailureReasons(), "");
}

}  // namespace
}  // namespace streamgate::sim
