#include "sinks/kinesis/aggregation/kpl_packer.h"

#include <algorithm>
#include <iterator>
#include <memory>
#include <string>
#include <utility>

namespace streamgate::kinesis {
namespace {

// A hash key as ExplicitHashKey writes it: decimal.
std::string Decimal(absl::uint128 value) {
  char digits[40];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + static_cast<int>(value % 10));
    value /= 10;
  } while (value > 0);
  return std::string(std::reverse_iterator<char*>(digits + n),
                     std::reverse_iterator<char*>(digits));
}

}  // namespace

void KplPacker::Pack(std::deque<PendingRecord>& ready, const ShardRange* shard,
                     PackBudget& budget, PendingBatch& out) {
  while (!ready.empty()) {
    const PendingRecord& first = ready.front();
    if (!budget.Fits(first.size())) return;
    // How many of the queue's first records one aggregate takes: while it
    // stays within max_bytes and the budget would take the grown record.
    size_t count = 1;
    if (shard != nullptr) {
      builder_.Clear();
      builder_.Add(first.record.partition_key, *first.record.data);
      while (count < ready.size()) {
        const OutRecord& next = ready[count].record;
        const size_t grown =
            builder_.SizeWith(next.partition_key, next.data->size());
        if (grown > builder_.max_bytes() || !budget.Fits(grown)) break;
        builder_.Add(next.partition_key, *next.data);
        ++count;
      }
    }
    if (count == 1) {
      // Alone, it goes plain: no framing for nothing.
      builder_.Clear();
      budget.Take(first.size());
      out.push_back(std::move(ready.front()));
      ready.pop_front();
      continue;
    }
    PendingRecord aggregate;
    aggregate.record.data =
        std::make_shared<const std::string>(builder_.Finish());
    aggregate.record.partition_key = first.record.partition_key;
    // The first user record's hash key routes the aggregate where that
    // record would go; a key outside the range (a map changed under the
    // queue) gives way to the range's start, so it stays on this shard.
    aggregate.hash_key =
        first.hash_key >= shard->start && first.hash_key <= shard->end
            ? first.hash_key
            : shard->start;
    aggregate.explicit_hash_key = Decimal(aggregate.hash_key);
    aggregate.shard = first.shard;
    aggregate.generation = first.generation;
    aggregate.accepted = first.accepted;
    aggregate.members.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      PendingRecord& user = ready.front();
      // The record_ttl of the oldest member bounds the aggregate; the
      // backoff follows the most tried one.
      aggregate.accepted = std::min(aggregate.accepted, user.accepted);
      aggregate.attempts = std::max(aggregate.attempts, user.attempts);
      aggregate.members.push_back(std::move(user));
      ready.pop_front();
    }
    ++aggregates_;
    aggregated_users_ += count;
    budget.Take(aggregate.size());
    out.push_back(std::move(aggregate));
  }
}

}  // namespace streamgate::kinesis
