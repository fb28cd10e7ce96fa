#include "gateway/core/counting_sink.h"

namespace streamgate::metrics {

void CountingSink::Count(const OutBatch& batch) {
  size_t bytes = 0;
  for (const OutRecord& r : batch) bytes += r.size();
  written_records_.fetch_add(batch.size(), std::memory_order_relaxed);
  written_bytes_.fetch_add(bytes, std::memory_order_relaxed);
}

void CountingSink::Write(OutBatch batch) {
  const size_t n = batch.size();
  Count(batch);
  inner_->Write(std::move(batch));
  settled_records_.fetch_add(n, std::memory_order_relaxed);
}

void CountingSink::Deliver(OutBatch batch, BatchDone done) {
  const size_t n = batch.size();
  Count(batch);
  inner_->Deliver(std::move(batch),
                  [this, n, done = std::move(done)]() mutable {
                    settled_records_.fetch_add(n, std::memory_order_relaxed);
                    std::move(done)();
                  });
}

}  // namespace streamgate::metrics
