// Watchdog (gateway/server/watchdog.h) with a fake probe, RSS reader and
// exit: when it fires and when it must not (a slow but answering listener,
// a failure streak broken by an answer). The real process exiting on a
// wedged listener is tests/e2e/fd_exhaustion_test.py; on memory,
// tests/e2e/rss_watchdog_test.py.
#include "gateway/server/watchdog.h"

#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

using ::testing::HasSubstr;

struct Fakes {
  std::vector<absl::Status> probes;  // answered in order; then OK
  size_t next = 0;
  int64_t rss = 100 << 20;
  std::vector<std::string> exits;

  Watchdog Make(int failures, int64_t max_rss) {
    Watchdog::Options o;
    o.interval = absl::Milliseconds(1);
    o.failures = failures;
    o.max_rss_bytes = max_rss;
    return Watchdog(
        o,
        [this](absl::Duration) {
          return next < probes.size() ? probes[next++] : absl::OkStatus();
        },
        [this]() -> absl::StatusOr<int64_t> { return rss; },
        [this](const std::string &why) { exits.push_back(why); });
  }
};

TEST(WatchdogTest, ExitsAfterConsecutiveProbeFailures) {
  Fakes f;
  f.probes = {absl::DeadlineExceededError("a"),
              absl::DeadlineExceededError("b"), absl::UnavailableError("c")};
  Watchdog w = f.Make(3, 0);
  EXPECT_TRUE(w.CheckOnce());
  EXPECT_TRUE(w.CheckOnce());
  EXPECT_TRUE(f.exits.empty());
  EXPECT_FALSE(w.CheckOnce());
  ASSERT_EQ(f.exits.size(), 1u);
  EXPECT_THAT(f.exits[0], HasSubstr("did not answer 3 health probes in a row"));
  EXPECT_THAT(f.exits[0], HasSubstr("c"));
  // Fired once; never again.
  EXPECT_FALSE(w.CheckOnce());
  EXPECT_EQ(f.exits.size(), 1u);
}

TEST(WatchdogTest, AnAnswerResetsTheStreak) {
  Fakes f;
  f.probes = {absl::DeadlineExceededError("a"),
              absl::DeadlineExceededError("b"),
              absl::OkStatus(),
              absl::DeadlineExceededError("c"),
              absl::DeadlineExceededError("d"),
              absl::OkStatus()};
  Watchdog w = f.Make(3, 0);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(w.CheckOnce());
  EXPECT_TRUE(f.exits.empty());
}

TEST(WatchdogTest, ExitsWhenRssPassesTheBound) {
  Fakes f;
  Watchdog w = f.Make(3, 200 << 20);
  EXPECT_TRUE(w.CheckOnce());
  f.rss = (200 << 20) + 1;
  EXPECT_FALSE(w.CheckOnce());
  ASSERT_EQ(f.exits.size(), 1u);
  EXPECT_THAT(f.exits[0],
              HasSubstr("exceeds limits.max_rss_bytes (209715200)"));
}

TEST(WatchdogTest, NoRssBoundMeansNoRssExit) {
  Fakes f;
  f.rss = int64_t{1} << 40;
  Watchdog w = f.Make(3, 0);
  EXPECT_TRUE(w.CheckOnce());
  EXPECT_TRUE(f.exits.empty());
}

TEST(WatchdogTest, ThreadRunsChecksUntilItFires) {
  Fakes f;
  f.probes = {absl::DeadlineExceededError("x"),
              absl::DeadlineExceededError("y")};
  absl::Notification fired;
  Watchdog::Options o;
  o.interval = absl::Milliseconds(1);
  o.failures = 2;
  size_t calls = 0;
  Watchdog w(
      o,
      [&](absl::Duration) {
        ++calls;
        return calls <= f.probes.size() ? f.probes[calls - 1]
                                        : absl::OkStatus();
      },
      nullptr,
      [&](const std::string &why) {
        f.exits.push_back(why);
        fired.Notify();
      });
  w.Start();
  fired.WaitForNotification();
  w.Stop();
  EXPECT_EQ(calls, 2u);  // the thread stopped checking once it fired
  EXPECT_EQ(f.exits.size(), 1u);
}

TEST(WatchdogTest, ReadsItsOwnRss) {
  auto rss = Watchdog::ReadSelfRss();
  ASSERT_TRUE(rss.ok()) << rss.status();
  EXPECT_GT(*rss, 1 << 20);
}

}  // namespace
}  // namespace streamgate
