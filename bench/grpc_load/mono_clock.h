// Monotonic nanoseconds for latency and deadlines. Stateless, thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace streamgate::bench {

inline int64_t MonoNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace streamgate::bench
