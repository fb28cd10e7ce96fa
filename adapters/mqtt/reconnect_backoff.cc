#include "adapters/mqtt/reconnect_backoff.h"

#include <algorithm>

namespace streamgate {

ReconnectBackoff::ReconnectBackoff(int64_t min_ms, int64_t max_ms)
    : min_ms_(min_ms),
      max_ms_(max_ms),
      current_ms_(min_ms),
      rng_(std::random_device{}()) {}

absl::Duration ReconnectBackoff::Next() {
  const int64_t current = current_ms_;
  current_ms_ = std::min(max_ms_, current_ms_ * 2);
  std::uniform_int_distribution<int64_t> jitter(0, current / 2);
  return absl::Milliseconds(current - current / 2 + jitter(rng_));
}

}  // namespace streamgate
