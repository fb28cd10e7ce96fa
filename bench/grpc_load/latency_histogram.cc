#include "bench/grpc_load/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace streamgate::bench {
namespace {

constexpr int kExact = 1024;   // values below are their own bucket
constexpr int kSubBits = 9;    // 512 sub-buckets per power of two
constexpr int kMaxExponent = 62;
constexpr int kBuckets = kExact + (kMaxExponent - 10 + 1) * (1 << kSubBits);

}  // namespace

LatencyHistogram::LatencyHistogram() : buckets_(kBuckets, 0) {}

int LatencyHistogram::BucketOf(uint64_t nanos) {
  if (nanos < kExact) return static_cast<int>(nanos);
  const int exponent = 63 - __builtin_clzll(nanos);  // >= 10
  const int shift = exponent - kSubBits;
  const int mantissa = static_cast<int>(nanos >> shift) - (1 << kSubBits);
  return kExact + (exponent - 10) * (1 << kSubBits) + mantissa;
}

int64_t LatencyHistogram::LowerBound(int bucket) {
  if (bucket < kExact) return bucket;
  const int rel = bucket - kExact;
  const int exponent = rel / (1 << kSubBits) + 10;
  const int64_t mantissa = rel % (1 << kSubBits) + (1 << kSubBits);
  return mantissa << (exponent - kSubBits);
}

void LatencyHistogram::Record(int64_t nanos) {
  if (nanos < 0) nanos = 0;
  ++buckets_[BucketOf(static_cast<uint64_t>(nanos))];
  ++count_;
  max_ = std::max(max_, nanos);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

int64_t LatencyHistogram::QuantileNanos(double q) const {
  if (count_ == 0) return 0;
  const int64_t rank =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q * count_)));
  int64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return LowerBound(static_cast<int>(i));
  }
  return max_;
}

}  // namespace streamgate::bench
