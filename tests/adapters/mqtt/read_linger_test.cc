// ReadLinger's rules, with the times passed in (no clocks, no sleeps).
#include "adapters/mqtt/read_linger.h"

#include "gtest/gtest.h"

namespace streamgate {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);
constexpr absl::Duration kLinger = absl::Milliseconds(1);

TEST(ReadLingerTest, PollsUntilReadsFindBytesThenSleepsWhileTheyKeepComing) {
  ReadLinger r(kLinger);
  EXPECT_FALSE(r.ShouldSleep(kT0, 0));  // nothing read yet: poll
  r.OnRead(kT0, true);
  EXPECT_TRUE(r.ShouldSleep(kT0 + absl::Milliseconds(2), 0));
  // A read long ago does not count as steady traffic.
  EXPECT_FALSE(r.ShouldSleep(kT0 + ReadLinger::kSteadyWithin, 0));
}

TEST(ReadLingerTest, AReadThatFindsNothingGoesBackToPolling) {
  ReadLinger r(kLinger);
  r.OnRead(kT0, true);
  r.OnRead(kT0 + kLinger, false);
  EXPECT_FALSE(r.ShouldSleep(kT0 + kLinger, 0));
}

TEST(ReadLingerTest, NoSleepWithAFullEnoughBufferOrAZeroLinger) {
  ReadLinger r(kLinger);
  r.OnRead(kT0, true);
  EXPECT_TRUE(r.ShouldSleep(kT0, ReadLinger::kMaxBuffered - 1));
  EXPECT_FALSE(r.ShouldSleep(kT0, ReadLinger::kMaxBuffered));
  ReadLinger off(absl::ZeroDuration());
  off.OnRead(kT0, true);
  EXPECT_FALSE(off.ShouldSleep(kT0, 0));
}

// The same QoS >= 1 count three lingered reads in a row is the broker's
// window, not the linger: lingering pauses for kPause, then resumes.
TEST(ReadLingerTest, PausesWhenTheBrokerWindowBoundsTheBatches) {
  ReadLinger r(kLinger);
  r.OnRead(kT0, true);
  EXPECT_FALSE(r.OnLingeredBatch(20, kT0));
  EXPECT_FALSE(r.OnLingeredBatch(20, kT0));
  EXPECT_TRUE(r.OnLingeredBatch(20, kT0));
  EXPECT_FALSE(r.ShouldSleep(kT0, 0));
  EXPECT_FALSE(
      r.ShouldSleep(kT0 + ReadLinger::kPause - absl::Nanoseconds(1), 0));
  r.OnRead(kT0 + ReadLinger::kPause, true);
  EXPECT_TRUE(r.ShouldSleep(kT0 + ReadLinger::kPause, 0));
  // Counting starts afresh after a pause.
  EXPECT_FALSE(r.OnLingeredBatch(20, kT0 + ReadLinger::kPause));
}

TEST(ReadLingerTest, VaryingCountsOrQosZeroReadsNeverPause) {
  ReadLinger r(kLinger);
  for (size_t acked : {20, 20, 21, 21, 0, 0, 0, 0, 7, 7, 9}) {
    EXPECT_FALSE(r.OnLingeredBatch(acked, kT0)) << acked;
  }
  r.OnRead(kT0, true);
  EXPECT_TRUE(r.ShouldSleep(kT0, 0));
}

// A window of one (brokers configured for strict ordering) pauses too.
TEST(ReadLingerTest, AWindowOfOnePauses) {
  ReadLinger r(kLinger);
  EXPECT_FALSE(r.OnLingeredBatch(1, kT0));
  EXPECT_FALSE(r.OnLingeredBatch(1, kT0));
  EXPECT_TRUE(r.OnLingeredBatch(1, kT0));
}

}  // namespace
}  // namespace streamgate
