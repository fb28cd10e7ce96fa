// LatencyHistogram: a fixed-bucket histogram of durations in seconds, cheap
// enough to observe on every request (one relaxed atomic add per bucket
// search, no lock). Header-only so sinks use it without linking the exporter.
//
// Threading: Observe and Snapshot from any thread. A snapshot taken during
// concurrent observations may be off by those few in-flight observations.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "gateway/api/metrics_writer.h"

namespace streamgate::metrics {

class LatencyHistogram {
 public:
  // From 1 ms to 30 s: covers a local endpoint as well as a throttled,
  // retried request to a distant region.
  static constexpr std::array<double, 14> kBounds = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
      0.25,  0.5,    1,     2.5,  5,     10,   30};

  void Observe(double seconds) {
    size_t i = 0;
    while (i < kBounds.size() && seconds > kBounds[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    // Sum kept in microseconds so it can be an integer atomic.
    sum_us_.fetch_add(static_cast<uint64_t>(seconds * 1e6),
                      std::memory_order_relaxed);
  }

  HistogramSnapshot Snapshot() const {
    HistogramSnapshot s;
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kBounds.size(); ++i) {
      cumulative += counts_[i].load(std::memory_order_relaxed);
      s.bounds.push_back(kBounds[i]);
      s.buckets.push_back(cumulative);
    }
    s.count = cumulative + counts_[kBounds.size()].load(std::memory_order_relaxed);
    s.sum = static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6;
    return s;
  }

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> counts_{};  // last: > 30 s
  std::atomic<uint64_t> sum_us_{0};
};

}  // namespace streamgate::metrics
