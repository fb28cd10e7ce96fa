#include "tools/sim/pacer.h"

#include <thread>

namespace streamgate::sim {

Pacer::Pacer(double rate, int64_t count, absl::Duration duration)
    : rate_(rate),
      count_(count),
      start_(Clock::now()),
      end_(count > 0 ? Clock::time_point::max()
                     : start_ + absl::ToChronoNanoseconds(duration)) {}

int64_t Pacer::Next() {
  if (stopped_.load(std::memory_order_relaxed)) return -1;
  const int64_t m = next_.fetch_add(1, std::memory_order_relaxed);
  if (count_ > 0 && m >= count_) return -1;
  if (rate_ > 0) {
    // Message m is due at start + m / rate: no drift over long runs, and a
    // sender that fell behind catches up without sleeping.
    const auto due = start_ + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(m / rate_));
    if (due >= end_) return -1;
    if (due > Clock::now()) std::this_thread::sleep_until(due);
  }
  if (Clock::now() >= end_ || stopped_.load(std::memory_order_relaxed)) {
    return -1;
  }
  return m;
}

}  // namespace streamgate::sim
