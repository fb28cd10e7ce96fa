// ReconnectBackoff: the delays between the MQTT adapter's reconnect
// attempts. They double from reconnect_min_ms to reconnect_max_ms with
// "equal jitter" (half the delay plus a random part of the other half;
// libmosquitto's own backoff has none), so many gateways restarted together
// do not reconnect in lockstep. A successful connection resets it.
//
// Threading: not thread-safe; the session's loop thread owns it.
#pragma once

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace streamgate {

class ReconnectBackoff {
 public:
  ReconnectBackoff(int64_t min_ms, int64_t max_ms);

  // The delay before the next attempt; doubles the one after it.
  absl::Duration Next();
  // Back to min_ms (after a CONNACK).
  void Reset() { current_ms_ = min_ms_; }

 private:
  const int64_t min_ms_;
  const int64_t max_ms_;
  int64_t current_ms_;
  std::mt19937_64 rng_;
};

}  // namespace streamgate
