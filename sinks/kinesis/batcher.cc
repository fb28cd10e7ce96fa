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
  if (due.empty()) return;
  if (head_ < due.size()) {  // make room in front (rare: retries only)
    const size_t grow = due.size() - head_;
    ready_.insert(ready_.begin(), grow, Entry{});
    head_ += grow;
  }
  head_ -= due.size();
  for (size_t i = 0; i < due.size(); ++i) {
    ready_bytes_ += due[i].size();
    ready_[head_ + i] = Entry{now - limits_.linger, std::move(due[i])};
  }
}

bool Batcher::Full() const {
  return ready_count() >= limits_.max_records || ready_bytes_ >= limits_.max_bytes;
}

std::optional<PendingBatch> Batcher::TakeReady(absl::Time now, bool force) {
  PromoteDue(now);
  if (ready_count() == 0) return std::nullopt;
  if (!force && !Full() && ready_[head_].since + limits_.linger > now) {
    return std::nullopt;
  }
  PendingBatch batch;
  batch.reserve(std::min(ready_count(), limits_.max_records));
  size_t bytes = 0;
  while (head_ < ready_.size() && batch.size() < limits_.max_records) {
    size_t s = ready_[head_].record.size();
    if (!batch.empty() && bytes + s > limits_.max_bytes) break;
    bytes += s;
    ready_bytes_ -= s;
    batch.push_back(std::move(ready_[head_].record));
    ++head_;
  }
  Compact();
  return batch;
}

void Batcher::Compact() {
  if (head_ == ready_.size()) {
    ready_.clear();  // keeps the capacity
    head_ = 0;
  } else if (head_ >= 4096 && head_ * 2 >= ready_.size()) {
    ready_.erase(ready_.begin(), ready_.begin() + head_);
    head_ = 0;
  }
}

absl::Time Batcher::NextWakeup() const {
  absl::Time t = absl::InfiniteFuture();
  if (ready_count() > 0) {
    t = Full() ? absl::InfinitePast() : ready_[head_].since + limits_.linger;
  }
  if (!delayed_.empty() && delayed_.front().not_before < t) {
    t = delayed_.front().not_before;
  }
  return t;
}

PendingBatch Batcher::TakeAll() {
  PendingBatch all;
  for (size_t i = head_; i < ready_.size(); ++i) {
    all.push_back(std::move(ready_[i].record));
  }
  ready_.clear();
  head_ = 0;
  ready_bytes_ = 0;
  for (auto& r : delayed_) all.push_back(std::move(r));
  delayed_.clear();
  return all;
}

}  // namespace streamgate::kinesis
