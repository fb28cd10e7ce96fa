// ReadLinger's rules, with the times passed in (no clocks, no sleeps).
#include "adapters/mqtt/read_linger.h"

#include "gtest/gtest.h"

namespace streamgate {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);
constexpr absl::Duration kLinger = absl::Milliseconds(1);

TEST(ReadLingerTest, PollsUntilReadsFindBytesThenSleepsWhileTheyKeepComing) {
  ReadLinger r(kLinger);
  EXPECT_FALSE(r.Steady(kT0, 0));  // nothing read yet: poll, read at once
  EXPECT_FALSE(r.SleepInsteadOfPoll(kT0, 0));
  r.OnRead(kT0, true);
  EXPECT_TRUE(r.Steady(kT0 + absl::Milliseconds(2), 0));
  EXPECT_TRUE(r.SleepInsteadOfPoll(kT0 + absl::Milliseconds(2), 0));
  // A read long ago does not count as steady traffic.
  EXPECT_FALSE(r.Steady(kT0 + ReadLinger::kSteadyWithin, 0));
  EXPECT_FALSE(r.SleepInsteadOfPoll(kT0 + ReadLinger::kSteadyWithin, 0));
}

// A read that finds nothing goes back to polling, and the read after the
// poll still lingers while the traffic is steady.
TEST(ReadLingerTest, AReadThatFindsNothingPollsThenLingers) {
  ReadLinger r(kLinger);
  r.OnRead(kT0, true);
  r.OnRead(kT0 + kLinger, false);
  EXPECT_FALSE(r.SleepInsteadOfPoll(kT0 + kLinger, 0));
  EXPECT_TRUE(r.Steady(kT0 + 2 * kLinger, 0));
  r.OnRead(kT0 + 2 * kLinger, true);
  EXPECT_TRUE(r.SleepInsteadOfPoll(kT0 + 2 * kLinger, 0));
}

TEST(ReadLingerTest, NoSleepWithAFullEnoughBufferOrAZeroLinger) {
  ReadLinger r(kLinger);
  r.OnRead(kT0, true);
  EXPECT_TRUE(r.Steady(kT0, ReadLinger::kMaxBuffered - 1));
  EXPECT_FALSE(r.Steady(kT0, ReadLinger::kMaxBuffered));
  EXPECT_FALSE(r.SleepInsteadOfPoll(kT0, ReadLinger::kMaxBuffered));
  ReadLinger off(absl::ZeroDuration());
  off.OnRead(kT0, true);
  EXPECT_FALSE(off.Steady(kT0, 0));
  EXPECT_FALSE(off.SleepInsteadOfPoll(kT0, 0));
}

// A lingered read `kLinger` plus a little processing after the previous
// one (on time) that carried `acked` QoS >= 1 messages.
bool OnTimeRead(ReadLinger& r, absl::Time& now, size_t acked) {
  now += kLinger + absl::Microseconds(200);
  r.OnRead(now, true);
  return r.OnLingeredBatch(acked, now);
}

// kWindowBoundReads on-time reads of `acked`: true when exactly the last
// one paused lingering.
bool PausesAfterWindowBoundReads(ReadLinger& r, absl::Time& now, size_t acked) {
  for (int i = 1; i < ReadLinger::kWindowBoundReads; ++i) {
    if (OnTimeRead(r, now, acked)) return false;
  }
  return OnTimeRead(r, now, acked);
}

// The same QoS >= 1 count three on-time lingered reads in a row is the
// broker's window, not the linger: lingering pauses for kPause, then
// resumes.
TEST(ReadLingerTest, PausesWhenTheBrokerWindowBoundsTheBatches) {
  ReadLinger r(kLinger);
  absl::Time now = kT0;
  r.OnRead(now, true);
  EXPECT_TRUE(PausesAfterWindowBoundReads(r, now, 20));
  EXPECT_FALSE(r.Steady(now, 0));
  EXPECT_FALSE(r.Steady(now + ReadLinger::kPause - absl::Nanoseconds(1), 0));
  now += ReadLinger::kPause;
  r.OnRead(now, true);
  EXPECT_TRUE(r.Steady(now, 0));
  // Counting starts afresh after a pause.
  EXPECT_TRUE(PausesAfterWindowBoundReads(r, now, 20));
}

TEST(ReadLingerTest, VaryingCountsOrQosZeroReadsNeverPause) {
  ReadLinger r(kLinger);
  absl::Time now = kT0;
  r.OnRead(now, true);
  for (size_t acked : {20, 20, 21, 21, 0, 0, 0, 0, 7, 7, 9}) {
    EXPECT_FALSE(OnTimeRead(r, now, acked)) << acked;
  }
  EXPECT_TRUE(r.Steady(now, 0));
}

// Reads that come late (the loop waited for a CPU) fill the window through
// their own delay: equal counts then do not pause lingering.
TEST(ReadLingerTest, LateReadsDoNotPause) {
  ReadLinger r(kLinger);
  absl::Time now = kT0;
  r.OnRead(now, true);
  for (int i = 0; i < 5; ++i) {
    now += 3 * kLinger;
    r.OnRead(now, true);
    EXPECT_FALSE(r.OnLingeredBatch(20, now)) << i;
  }
  // One late read among on-time ones restarts the count.
  for (int i = 1; i < ReadLinger::kWindowBoundReads; ++i) {
    EXPECT_FALSE(OnTimeRead(r, now, 20));
  }
  now += 3 * kLinger;
  r.OnRead(now, true);
  EXPECT_FALSE(r.OnLingeredBatch(20, now));
  EXPECT_TRUE(PausesAfterWindowBoundReads(r, now, 20));
}

// A window that allows kUncappedRate messages a second at this linger (32
// at 1 ms) is not what limits the rate: full windows there mean a backlog.
TEST(ReadLingerTest, LargeWindowsDoNotPause) {
  ReadLinger r(kLinger);
  absl::Time now = kT0;
  r.OnRead(now, true);
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(OnTimeRead(r, now, 100)) << i;
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(OnTimeRead(r, now, 32)) << i;
  EXPECT_TRUE(PausesAfterWindowBoundReads(r, now, 31));
}

// A window of one (brokers configured for strict ordering) pauses too.
TEST(ReadLingerTest, AWindowOfOnePauses) {
  ReadLinger r(kLinger);
  absl::Time now = kT0;
  r.OnRead(now, true);
  EXPECT_TRUE(PausesAfterWindowBoundReads(r, now, 1));
}

}  // namespace
}  // namespace streamgate
