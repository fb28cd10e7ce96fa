// CountingSink: wraps a module's sink and counts the records and bytes the
// module worker hands it and the records whose batches have settled
// (delivered or dead-lettered), so every module has delivery counters even
// when its sink keeps none. Forwards everything else, CollectMetrics
// included, to the wrapped sink.
//
// Threading: the Sink contract; counters are atomics readable from any
// thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "gateway/api/sink.h"

namespace streamgate::metrics {

class CountingSink : public Sink {
 public:
  explicit CountingSink(std::unique_ptr<Sink> inner)
      : inner_(std::move(inner)) {}

  absl::Status Start() override { return inner_->Start(); }
  void Write(OutBatch batch) override;
  void Deliver(OutBatch batch, BatchDone done) override;
  absl::Status Flush(absl::Time deadline) override {
    return inner_->Flush(deadline);
  }
  void Close() override { inner_->Close(); }
  void CollectMetrics(MetricsWriter& out) const override {
    inner_->CollectMetrics(out);
  }
  bool ReportsDelivery() const override { return inner_->ReportsDelivery(); }

  uint64_t written_records() const { return written_records_.load(); }
  uint64_t written_bytes() const { return written_bytes_.load(); }
  uint64_t settled_records() const { return settled_records_.load(); }
  const Sink& inner() const { return *inner_; }

 private:
  void Count(const OutBatch& batch);

  std::unique_ptr<Sink> inner_;
  std::atomic<uint64_t> written_records_{0};
  std::atomic<uint64_t> written_bytes_{0};
  // Done callbacks run before the wrapped sink's Close returns (every batch
  // settles by then), so they may refer to this sink.
  std::atomic<uint64_t> settled_records_{0};
};

}  // namespace streamgate::metrics
