#include "sinks/kinesis/batcher.h"

#include <utility>

namespace streamgate::kinesis {

Batcher::Batcher(Limits limits) : limits_(limits) {
  if (limits_.max_records == 0) limits_.max_records = 1;
}

void Batcher::Add(PendingRecord record, absl::Time now) {
  if (record.not_before > now) {
    delayed_.push_back(std::move(record));
    std::push_heap(delayed_.begin(), delayed_.end(), Later());
    return;
  }
  ready_bytes_ += record.size();
  ready_.push_back(Entry{now, std::move(record)});
}

void Batcher::PromoteDue(absl::Time now) {
  // Due retries are older than anything queued: they go first and do not
  // wait for linger again.
  std::vector<PendingRecord> due;
  while (!delayed_.empty() && delayed_.front().not_before <= now) {
    std::pop_heap(delayed_.begin(), delayed_.end(), Later());
    due.push_back(std::move(delayed_.back()));
    delayed_.pop_back();
  }
  for (auto it = due.rbegin(); it != due.rend(); ++it) {
    ready_bytes_ += it->size();
    ready_.push_front(Entry{now - limits_.linger, std::move(*it)});
  }
}

bool Batcher::Full() const {
  return ready_.size() >= limits_.max_records || ready_bytes_ >= limits_.max_bytes;
}

std::optional<PendingBatch> Batcher::TakeReady(absl::Time now, bool force) {
  PromoteDue(now);
  if (ready_.empty()) return std::nullopt;
  if (!force && !Full() && ready_.front().since + limits_.linger > now) {
    return std::nullopt;
  }
  PendingBatch batch;
  size_t bytes = 0;
  while (!ready_.empty() && batch.size() < limits_.max_records) {
    size_t s = ready_.front().record.size();
    if (!batch.empty() && bytes + s > limits_.max_bytes) break;
    bytes += s;
    ready_bytes_ -= s;
    batch.push_back(std::move(ready_.front().record));
    ready_.pop_front();
  }
  return batch;
}

absl::Time Batcher::NextWakeup() const {
  absl::Time t = absl::InfiniteFuture();
  if (!ready_.empty()) {
    t = Full() ? absl::InfinitePast() : ready_.front().since + limits_.linger;
  }
  if (!delayed_.empty() && delayed_.front().not_before < t) {
    t = delayed_.front().not_before;
  }
  return t;
}

PendingBatch Batcher::TakeAll() {
  PendingBatch all;
  for (auto& e : ready_) all.push_back(std::move(e.record));
  ready_.clear();
  ready_bytes_ = 0;
  for (auto& r : delayed_) all.push_back(std::move(r));
  delayed_.clear();
  return all;
}

}  // namespace streamgate::kinesis
