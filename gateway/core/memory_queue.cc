#include "gateway/core/memory_queue.h"

#include <utility>

namespace streamgate {
namespace {

constexpr size_t kLingerRecords = 256;
constexpr absl::Duration kLinger = absl::Milliseconds(1);

}  // namespace

MemoryQueue::MemoryQueue(size_t max_records, size_t max_bytes)
    : max_records_(max_records), max_bytes_(max_bytes) {}

bool MemoryQueue::DoReserve(size_t records, size_t bytes) {
  bytes += records * kRecordOverheadBytes;
  absl::MutexLock lock(&mu_);
  if (closed_) return false;
  // An input larger than the whole queue would never fit: let it in when the
  // queue is empty rather than refusing it forever.
  const bool empty = used_records_ == 0;
  if (!empty && (used_records_ + records > max_records_ ||
                 used_bytes_ + bytes > max_bytes_)) {
    return false;
  }
  used_records_ += records;
  used_bytes_ += bytes;
  return true;
}

void MemoryQueue::DoPublish(uint64_t ticket, OutBatch records, size_t bytes) {
  absl::MutexLock lock(&mu_);
  for (OutRecord& r : records) items_.push_back(std::move(r));
  if (consumer_waiting_) ready_.Signal();
}

void MemoryQueue::DoCancel(size_t records, size_t bytes) {
  bytes += records * kRecordOverheadBytes;
  absl::MutexLock lock(&mu_);
  used_records_ -= records;
  used_bytes_ -= bytes;
}

bool MemoryQueue::Pop(QueueBatch& batch, size_t max_records,
                      absl::Duration wait) {
  OutBatch& out = batch.records;
  out.clear();
  // Popped records left the queue's accounting: nothing to release later.
  batch.done = [](const DeliveryReport&) {};
  absl::MutexLock lock(&mu_);
  if (items_.empty() && !closed_) {
    const absl::Time deadline = absl::Now() + wait;
    consumer_waiting_ = true;
    while (items_.empty() && !closed_) {
      if (ready_.WaitWithDeadline(&mu_, deadline)) break;
    }
    consumer_waiting_ = false;
    // Woken by the first record of a trickle, the consumer would take
    // records one at a time, paying a wake-up and a sink call for each
    // (~2 us per MQTT message). Let producers add more for a moment: the
    // records are already acknowledged, only their delivery waits.
    if (!items_.empty() && items_.size() < kLingerRecords && !closed_) {
      auto enough = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return items_.size() >= kLingerRecords || closed_;
      };
      mu_.AwaitWithTimeout(absl::Condition(&enough), kLinger);
    }
  }
  if (items_.empty()) return !closed_;
  const size_t n = std::min(max_records, items_.size());
  out.reserve(n);
  size_t bytes = 0;
  for (size_t i = 0; i < n; ++i) {
    bytes += items_.front().size() + kRecordOverheadBytes;
    out.push_back(std::move(items_.front()));
    items_.pop_front();
  }
  used_records_ -= n;
  used_bytes_ -= bytes;
  return true;
}

void MemoryQueue::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  ready_.SignalAll();
}

size_t MemoryQueue::depth() const {
  absl::MutexLock lock(&mu_);
  return items_.size();
}

}  // namespace streamgate
