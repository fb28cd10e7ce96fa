// ShardMapRefresher: a failed load keeps retrying (one warning per run of
// failures) until a map installs; RefreshSoon loads long before the
// interval. Waits are bounded waits for an event, never timing checks.
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "sinks/kinesis/shard_map_refresher.h"
#include "tests/sinks/test_logger.h"

namespace streamgate::kinesis {
namespace {

ShardMap OneShard() {
  return *ShardMap::Build({ShardRange{"shardId-0", 0, absl::Uint128Max()}});
}

TEST(ShardMapRefresherTest, FailedLoadsRetryUntilAMapInstalls) {
  std::shared_ptr<streamgate::testing::MemoryLogSink> logs;
  std::atomic<int> loads{0};
  absl::Notification installed;
  ShardMapRefresher r(
      "s", absl::Hours(1),
      [&]() -> absl::StatusOr<ShardMap> {
        if (++loads <= 2) return absl::UnavailableError("ListShards: Timeout");
        return OneShard();
      },
      [&](ShardMap map) {
        EXPECT_EQ(map.size(), 1u);
        installed.Notify();
      },
      streamgate::testing::TestLogger("m", logs));
  r.Start(/*have_map=*/false);
  // Backoff 1 s, then 2 s: far below the hour of the interval.
  ASSERT_TRUE(installed.WaitForNotificationWithTimeout(absl::Seconds(60)));
  r.Stop();
  EXPECT_EQ(loads.load(), 3);
  int warnings = 0;
  for (const std::string& m : logs->Messages()) {
    if (m.find("shard map refresh failed (ListShards: Timeout)") != std::string::npos) {
      ++warnings;
    }
  }
  EXPECT_EQ(warnings, 1);  // once per run of failures
}

TEST(ShardMapRefresherTest, RefreshSoonLoadsBeforeTheInterval) {
  std::shared_ptr<streamgate::testing::MemoryLogSink> logs;
  absl::Notification loaded;
  std::atomic<int> loads{0};
  ShardMapRefresher r(
      "s", absl::Hours(1),
      [&]() -> absl::StatusOr<ShardMap> {
        ++loads;
        loaded.Notify();
        return OneShard();
      },
      [](ShardMap) {}, streamgate::testing::TestLogger("m", logs));
  r.Start(/*have_map=*/true);  // next regular load in an hour
  r.RefreshSoon();
  ASSERT_TRUE(loaded.WaitForNotificationWithTimeout(absl::Seconds(60)));
  r.Stop();
  EXPECT_EQ(loads.load(), 1);
}

TEST(ShardMapRefresherTest, StopEndsTheThreadWithoutALoad) {
  std::shared_ptr<streamgate::testing::MemoryLogSink> logs;
  std::atomic<int> loads{0};
  ShardMapRefresher r(
      "s", absl::Hours(1),
      [&]() -> absl::StatusOr<ShardMap> {
        ++loads;
        return OneShard();
      },
      [](ShardMap) {}, streamgate::testing::TestLogger("m", logs));
  r.Start(/*have_map=*/true);
  r.Stop();
  EXPECT_EQ(loads.load(), 0);
}

}  // namespace
}  // namespace streamgate::kinesis
