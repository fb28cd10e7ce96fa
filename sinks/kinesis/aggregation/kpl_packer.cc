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

size_t KplPacker::Gather(const std::deque<PendingRecord>& ready,
                         PackBudget& budget, bool& wait) {
  wait = false;
  builder_.Clear();
  size_t count = 0;
  std::vector<size_t> sizes;
  while (count < ready.size() && ready[count].members.empty()) {
    // The run of records of one key from here: the ordering gate releases
    // a key's records together, and together they must stay, in one
    // Kinesis record stored or retried as a unit.
    const std::string& key = ready[count].record.partition_key;
    sizes.clear();
    for (size_t i = count; i < ready.size() && ready[i].members.empty() &&
                           ready[i].record.partition_key == key;
         ++i) {
      sizes.push_back(ready[i].record.data->size());
    }
    const size_t grown = builder_.SizeWithRun(key, sizes);
    if (grown <= builder_.max_bytes() && budget.Fits(grown)) {
      for (size_t i = 0; i < sizes.size(); ++i) {
        builder_.Add(key, *ready[count + i].record.data);
      }
      count += sizes.size();
      continue;
    }
    if (count > 0) break;  // the run starts the next aggregate
    if (grown <= builder_.max_bytes()) {
      // It would fit an aggregate, not this request: the next one.
      wait = sizes.size() > 1;
      if (wait) return 0;
    }
    // A run too big for one aggregate (one hot key with ordering: none, or
    // one big record): as much of it as fits, in order.
    builder_.Add(key, *ready[0].record.data);
    count = 1;
    while (count < sizes.size()) {
      const size_t next = builder_.SizeWith(key, sizes[count]);
      if (next > builder_.max_bytes() || !budget.Fits(next)) break;
      builder_.Add(key, *ready[count].record.data);
      ++count;
    }
    break;
  }
  return count;
}

void KplPacker::Pack(std::deque<PendingRecord>& ready, const ShardRange* shard,
                     PackBudget& budget, PendingBatch& out) {
  while (!ready.empty()) {
    PendingRecord& front = ready.front();
    if (!budget.Fits(front.size())) return;
    // A retried aggregate goes again as it is; without a shard range (no
    // map yet: keys of every shard share the queue) everything goes plain.
    size_t count = 1;
    if (front.members.empty() && shard != nullptr) {
      bool wait = false;
      count = Gather(ready, budget, wait);
      if (wait) return;
    }
    if (count <= 1) {
      builder_.Clear();
      budget.Take(front.size());
      out.push_back(std::move(front));
      ready.pop_front();
      continue;
    }
    PendingRecord aggregate;
    aggregate.record.data =
        std::make_shared<const std::string>(builder_.Finish());
    aggregate.record.partition_key = front.record.partition_key;
    // The first user record's hash key routes the aggregate where that
    // record would go; a key outside the range (a map changed under the
    // queue) gives way to the range's start, so it stays on this shard.
    aggregate.hash_key =
        front.hash_key >= shard->start && front.hash_key <= shard->end
            ? front.hash_key
            : shard->start;
    aggregate.explicit_hash_key = Decimal(aggregate.hash_key);
    aggregate.shard = front.shard;
    aggregate.generation = front.generation;
    aggregate.accepted = front.accepted;
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
