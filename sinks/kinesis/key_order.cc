#include "sinks/kinesis/key_order.h"

#include <utility>

namespace streamgate::kinesis {

std::optional<PendingRecord> KeyOrder::Admit(PendingRecord record) {
  if (!per_key_) return record;
  auto [it, inserted] = keys_.try_emplace(record.record.partition_key);
  if (inserted) return record;  // nothing of this key out: it goes
  it->second.held.push_back(std::move(record));
  ++held_;
  return std::nullopt;
}

std::optional<PendingRecord> KeyOrder::Settled(const std::string& key) {
  PendingBatch next = SettledGroup(key);
  if (next.empty()) return std::nullopt;
  return std::move(next.front());  // one at a time without groups
}

PendingBatch KeyOrder::SettledGroup(const std::string& key) {
  PendingBatch group;
  if (!per_key_) return group;
  auto it = keys_.find(key);
  if (it == keys_.end()) return group;
  Key& k = it->second;
  if (k.out > 1) {
    --k.out;  // others of its group are still out
    return group;
  }
  if (k.held.empty()) {
    keys_.erase(it);
    return group;
  }
  size_t bytes = 0;
  do {
    bytes += k.held.front().size();
    group.push_back(std::move(k.held.front()));
    k.held.pop_front();
  } while (!k.held.empty() && group_bytes_ > 0 &&
           bytes + k.held.front().size() <= group_bytes_);
  k.out = group.size();
  held_ -= group.size();
  return group;
}

PendingBatch KeyOrder::TakeAll() {
  PendingBatch all;
  all.reserve(held_);
  for (auto& [key, k] : keys_) {
    for (PendingRecord& r : k.held) all.push_back(std::move(r));
  }
  keys_.clear();
  held_ = 0;
  return all;
}

}  // namespace streamgate::kinesis
