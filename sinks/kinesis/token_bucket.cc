#include "sinks/kinesis/token_bucket.h"

#include <algorithm>

namespace streamgate::kinesis {

TokenBucket::TokenBucket(double rate, double burst, absl::Time now)
    : rate_(std::max(rate, 1e-9)),
      burst_(std::max(burst, 1e-9)),
      tokens_(burst_),
      last_(now) {}

void TokenBucket::Refill(absl::Time now) {
  if (now <= last_) return;
  tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * rate_);
  last_ = now;
}

bool TokenBucket::CanTake(double n, absl::Time now) {
  Refill(now);
  return tokens_ >= std::min(n, burst_);
}

void TokenBucket::Take(double n, absl::Time now) {
  Refill(now);
  tokens_ -= n;
}

absl::Time TokenBucket::ReadyAt(double n, absl::Time now) {
  Refill(now);
  const double need = std::min(n, burst_) - tokens_;
  if (need <= 0) return now;
  // Rounded up to a whole microsecond so that waking at ReadyAt succeeds.
  return now + absl::Microseconds(static_cast<int64_t>(need / rate_ * 1e6) + 1);
}

void TokenBucket::SetRate(double rate, absl::Time now) {
  Refill(now);  // tokens earned so far at the old rate
  rate_ = std::max(rate, 1e-9);
}

ShardRateLimiter::ShardRateLimiter(RateLimit limit, absl::Time now)
    : limit_(limit),
      records_(limit.records_per_s, std::max(1.0, limit.records_per_s * kBurstSeconds),
               now),
      bytes_(limit.bytes_per_s, std::max(1.0, limit.bytes_per_s * kBurstSeconds), now),
      last_increase_(now) {}

bool ShardRateLimiter::CanSend(size_t bytes, absl::Time now) {
  return records_.CanTake(1, now) && bytes_.CanTake(static_cast<double>(bytes), now);
}

void ShardRateLimiter::Sent(size_t bytes, absl::Time now) {
  records_.Take(1, now);
  bytes_.Take(static_cast<double>(bytes), now);
}

absl::Time ShardRateLimiter::ReadyAt(size_t records, size_t bytes, absl::Time now) {
  return std::max(records_.ReadyAt(static_cast<double>(records), now),
                  bytes_.ReadyAt(static_cast<double>(bytes), now));
}

void ShardRateLimiter::OnAnswer(size_t stored, size_t throttled, absl::Time now) {
  if (!limit_.adaptive) return;
  if (throttled > 0) {
    // One decrease per hold-off: the throttled answers of requests already
    // in flight report the same overload, not a new one.
    if (now - last_decrease_ >= kHoldOff) {
      factor_ = std::max(kMinFactor, factor_ * kDecrease);
      last_decrease_ = now;
      last_increase_ = now;
      Apply(now);
    }
    return;
  }
  if (stored == 0 || factor_ >= 1.0) {
    last_increase_ = now;
    return;
  }
  const double gained = absl::ToDoubleSeconds(now - last_increase_) * kIncreasePerS;
  if (gained <= 0) return;
  factor_ = std::min(1.0, factor_ + gained);
  last_increase_ = now;
  Apply(now);
}

void ShardRateLimiter::Apply(absl::Time now) {
  records_.SetRate(limit_.records_per_s * factor_, now);
  bytes_.SetRate(limit_.bytes_per_s * factor_, now);
}

}  // namespace streamgate::kinesis
