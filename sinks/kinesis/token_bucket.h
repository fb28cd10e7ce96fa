// TokenBucket and ShardRateLimiter: the per-shard write budget of the
// Kinesis sink, so a busy stream is not throttled in the first place.
// A TokenBucket refills at `rate` tokens a second up to `burst`; a take may
// run it into debt (one record larger than the burst must still go), which
// later takes repay. ShardRateLimiter pairs a records bucket and a bytes
// bucket and, when adaptive, scales both rates AIMD-style: a throttling
// answer multiplies the rate by kDecrease (at most once per kHoldOff, so one
// burst of throttled records counts once); success adds back kIncreasePerS
// of the configured rate per second, up to the configured rate.
//
// Pure: time is passed in; no threads. Not thread-safe (the sink locks it).
#pragma once

#include <cstddef>

#include "absl/time/time.h"

namespace streamgate::kinesis {

class TokenBucket {
 public:
  // Starts full. `rate` > 0 tokens/s; `burst` > 0.
  TokenBucket(double rate, double burst, absl::Time now);

  // Whether `n` tokens may be taken now (a full bucket always allows one
  // take, however large, so an oversized record is not stuck for ever).
  bool CanTake(double n, absl::Time now);
  void Take(double n, absl::Time now);
  // When CanTake(n) becomes true with no other take; `now` if it is.
  absl::Time ReadyAt(double n, absl::Time now);

  void SetRate(double rate, absl::Time now);
  double rate() const { return rate_; }
  double burst() const { return burst_; }
  double tokens(absl::Time now) {
    Refill(now);
    return tokens_;
  }

 private:
  void Refill(absl::Time now);

  double rate_;
  double burst_;
  double tokens_;
  absl::Time last_;
};

struct RateLimit {
  double records_per_s = 1000;
  double bytes_per_s = 1048576;
  bool adaptive = true;
};

class ShardRateLimiter {
 public:
  static constexpr double kDecrease = 0.7;
  static constexpr double kIncreasePerS = 0.05;
  static constexpr double kMinFactor = 0.05;
  static constexpr absl::Duration kHoldOff = absl::Milliseconds(500);
  // The buckets hold this much of a second's budget: small enough that a
  // full bucket emptied at once stays well inside what Kinesis tolerates.
  static constexpr double kBurstSeconds = 0.2;

  ShardRateLimiter(RateLimit limit, absl::Time now);

  // One record of `bytes`: whether the shard has the tokens for it now.
  bool CanSend(size_t bytes, absl::Time now);
  void Sent(size_t bytes, absl::Time now);
  // When `records` records, the first of `bytes`, could go.
  absl::Time ReadyAt(size_t records, size_t bytes, absl::Time now);
  double record_tokens(absl::Time now) { return records_.tokens(now); }
  double record_burst() const { return records_.burst(); }

  // Answers for this shard's records: `throttled` of them were refused for
  // throughput, `stored` were stored.
  void OnAnswer(size_t stored, size_t throttled, absl::Time now);

  // Allowed rate now (configured rate times the AIMD factor).
  double records_per_s() const { return records_.rate(); }
  double bytes_per_s() const { return bytes_.rate(); }
  double factor() const { return factor_; }

 private:
  void Apply(absl::Time now);

  const RateLimit limit_;
  TokenBucket records_;
  TokenBucket bytes_;
  double factor_ = 1.0;
  absl::Time last_decrease_ = absl::InfinitePast();
  absl::Time last_increase_;
};

}  // namespace streamgate::kinesis
