// Log-linear latency histogram (exact below 1024 ns, then 512 sub-buckets
// per power of two: < 0.2% error). O(1) to record, fixed memory. Not
// thread-safe: each driver thread owns one; Merge() after the threads end.
#pragma once

#include <cstdint>
#include <vector>

namespace streamgate::bench {

class LatencyHistogram {
 public:
  LatencyHistogram();

  void Record(int64_t nanos);
  void Merge(const LatencyHistogram& other);

  int64_t count() const { return count_; }
  int64_t max_nanos() const { return max_; }
  // Smallest recorded-bucket value v such that a fraction q of the samples
  // are <= v; 0 when empty.
  int64_t QuantileNanos(double q) const;

 private:
  static int BucketOf(uint64_t nanos);
  static int64_t LowerBound(int bucket);

  std::vector<int64_t> buckets_;
  int64_t count_ = 0;
  int64_t max_ = 0;
};

}  // namespace streamgate::bench
