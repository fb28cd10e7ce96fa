#include "sinks/kinesis/key_order.h"

#include <utility>

namespace streamgate::kinesis {

std::optional<PendingRecord> KeyOrder::Admit(PendingRecord record) {
  if (!per_key_) return record;
  auto [it, inserted] = keys_.try_emplace(record.record.partition_key);
  if (inserted) return record;  // nothing of this key out: it goes
  it->second.push_back(std::move(record));
  ++held_;
  return std::nullopt;
}

std::optional<PendingRecord> KeyOrder::Settled(const std::string& key) {
  if (!per_key_) return std::nullopt;
  auto it = keys_.find(key);
  if (it == keys_.end()) return std::nullopt;
  if (it->second.empty()) {
    keys_.erase(it);
    return std::nullopt;
  }
  PendingRecord next = std::move(it->second.front());
  it->second.pop_front();
  --held_;
  return next;
}

PendingBatch KeyOrder::TakeAll() {
  PendingBatch all;
  all.reserve(held_);
  for (auto& [key, held] : keys_) {
    for (PendingRecord& r : held) all.push_back(std::move(r));
  }
  keys_.clear();
  held_ = 0;
  return all;
}

}  // namespace streamgate::kinesis
