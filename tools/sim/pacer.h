// Pacer: hands out message numbers 0, 1, 2, ... at a given rate (or as fast
// as asked) until the count is reached or the duration has passed.
//
// Thread-safe: Next() may be called from several sender threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "absl/time/time.h"

namespace streamgate::sim {

class Pacer {
 public:
  using Clock = std::chrono::steady_clock;

  // rate 0 = unpaced; count 0 = until `duration` has passed.
  Pacer(double rate, int64_t count, absl::Duration duration);

  // The next message number, after sleeping until it is due; -1 when the
  // run is over (count reached, duration passed, or Stop() called).
  int64_t Next();
  void Stop() { stopped_.store(true); }

  Clock::time_point start() const { return start_; }

 private:
  const double rate_;
  const int64_t count_;
  const Clock::time_point start_;
  const Clock::time_point end_;
  std::atomic<int64_t> next_{0};
  std::atomic<bool> stopped_{false};
};

}  // namespace streamgate::sim
