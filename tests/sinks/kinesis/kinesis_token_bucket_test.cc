// TokenBucket and ShardRateLimiter: refill, burst, debt for an oversized
// take, and AIMD (throttling lowers the rate once per hold-off, success
// creeps back up to the configured rate, never above).
#include "gtest/gtest.h"
#include "sinks/kinesis/token_bucket.h"

namespace streamgate::kinesis {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

TEST(TokenBucketTest, StartsFullAndRefillsAtRate) {
  TokenBucket b(100, 10, kT0);
  EXPECT_TRUE(b.CanTake(10, kT0));
  b.Take(10, kT0);
  EXPECT_FALSE(b.CanTake(1, kT0));
  EXPECT_EQ(b.ReadyAt(1, kT0), kT0 + absl::Microseconds(10001));
  EXPECT_TRUE(b.CanTake(1, kT0 + absl::Milliseconds(10)));
  EXPECT_FALSE(b.CanTake(2, kT0 + absl::Milliseconds(10)));
  // Never above the burst, however long it rests.
  EXPECT_DOUBLE_EQ(b.tokens(kT0 + absl::Hours(1)), 10);
}

TEST(TokenBucketTest, OversizedTakeRunsIntoDebt) {
  TokenBucket b(100, 10, kT0);
  EXPECT_TRUE(b.CanTake(50, kT0));  // full bucket: one big take may go
  b.Take(50, kT0);
  EXPECT_DOUBLE_EQ(b.tokens(kT0), -40);
  // Repaid at the rate before anything else goes.
  EXPECT_FALSE(b.CanTake(1, kT0 + absl::Milliseconds(400)));
  EXPECT_TRUE(b.CanTake(1, kT0 + absl::Milliseconds(410)));
}

TEST(TokenBucketTest, SetRateKeepsTokensEarned) {
  TokenBucket b(100, 100, kT0);
  b.Take(100, kT0);
  b.SetRate(10, kT0 + absl::Milliseconds(500));  // 50 earned at 100/s
  EXPECT_NEAR(b.tokens(kT0 + absl::Milliseconds(600)), 51, 1e-6);
}

TEST(ShardRateLimiterTest, RecordsAndBytesBothLimit) {
  ShardRateLimiter l(RateLimit{1000, 10000, true}, kT0);
  // Burst: a fifth of a second of each.
  EXPECT_DOUBLE_EQ(l.record_burst(), 200);
  int sent = 0;
  while (l.CanSend(100, kT0)) {
    l.Sent(100, kT0);
    ++sent;
  }
  EXPECT_EQ(sent, 20);  // bytes ran out first (2000 / 100)
}

TEST(ShardRateLimiterTest, ThrottlingLowersOncePerHoldOffAndSuccessCreepsBack) {
  ShardRateLimiter l(RateLimit{1000, 1048576, true}, kT0);
  l.OnAnswer(10, 5, kT0);
  EXPECT_DOUBLE_EQ(l.records_per_s(), 700);
  EXPECT_DOUBLE_EQ(l.bytes_per_s(), 1048576 * 0.7);
  // More throttled answers of the same overload: no second cut.
  l.OnAnswer(0, 50, kT0 + absl::Milliseconds(100));
  EXPECT_DOUBLE_EQ(l.records_per_s(), 700);
  l.OnAnswer(0, 50, kT0 + ShardRateLimiter::kHoldOff);
  EXPECT_DOUBLE_EQ(l.records_per_s(), 490);
  // Success: +5% of the configured rate a second.
  const absl::Time t1 = kT0 + ShardRateLimiter::kHoldOff;
  l.OnAnswer(100, 0, t1 + absl::Seconds(2));
  EXPECT_NEAR(l.records_per_s(), 590, 1e-6);
  l.OnAnswer(100, 0, t1 + absl::Seconds(60));
  EXPECT_DOUBLE_EQ(l.records_per_s(), 1000);  // capped at the configured rate
  EXPECT_DOUBLE_EQ(l.factor(), 1.0);
}

TEST(ShardRateLimiterTest, NeverBelowTheFloor) {
  ShardRateLimiter l(RateLimit{1000, 1048576, true}, kT0);
  for (int i = 0; i < 100; ++i) l.OnAnswer(0, 1, kT0 + absl::Seconds(i));
  EXPECT_DOUBLE_EQ(l.records_per_s(), 1000 * ShardRateLimiter::kMinFactor);
}

TEST(ShardRateLimiterTest, NotAdaptiveKeepsTheRate) {
  ShardRateLimiter l(RateLimit{1000, 1048576, false}, kT0);
  l.OnAnswer(0, 100, kT0);
  EXPECT_DOUBLE_EQ(l.records_per_s(), 1000);
}

}  // namespace
}  // namespace streamgate::kinesis
