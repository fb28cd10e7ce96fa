// KplPacker: the RecordPacker (sinks/kinesis/record_packer.h) of
// `aggregation.enabled`: packs one shard's queue of user records, in queue
// order, into KPL aggregated Kinesis records of at most
// aggregation.max_bytes, each user record keeping its own partition key.
// The Kinesis record's partition key is its first user record's, and its
// ExplicitHashKey that record's hash key, which lies inside the shard's
// range (the KCL drops an aggregate whose user records fall outside the
// shard it read it from). An aggregate of one is sent plain; until the
// shard map is known (no range) everything is sent plain, since a
// pseudo-shard mixes keys of every shard. Each aggregate carries its user
// records (PendingRecord::members) so its answer settles them all:
// aggregate_settlement.h. A retried aggregate comes back whole and is sent
// again as it is.
//
// Runs of one key's records in the queue (the ordering gate releases a
// key's held records together) are never split between two Kinesis
// records unless one aggregate cannot hold them: stored or retried as a
// unit, they keep their order whatever happens to the request.
//
// Rate limits and request limits see the aggregated record: the budget is
// charged once per Kinesis record with its size.
//
// Not thread-safe: called under the sink's lock, like every packer.
#pragma once

#include <cstddef>
#include <deque>

#include "sinks/kinesis/aggregation/aggregate_builder.h"
#include "sinks/kinesis/record_packer.h"

namespace streamgate::kinesis {

class KplPacker : public RecordPacker {
 public:
  // max_bytes: one aggregated record, data + partition key.
  explicit KplPacker(size_t max_bytes) : builder_(max_bytes) {}

  void Pack(std::deque<PendingRecord>& ready, const ShardRange* shard,
            PackBudget& budget, PendingBatch& out) override;

  // Counters for metrics and the bench: aggregates sent and the user
  // records in them (plain records are in neither).
  uint64_t aggregates() const { return aggregates_; }
  uint64_t aggregated_user_records() const { return aggregated_users_; }

 private:
  // Fills builder_ from the front of `ready` (user records only, whole runs
  // of one key): returns how many records it took. Sets `wait` when the
  // front's run fits an aggregate but not what the budget has left, so it
  // goes whole in the next request.
  size_t Gather(const std::deque<PendingRecord>& ready, PackBudget& budget,
                bool& wait);

  AggregateBuilder builder_;
  uint64_t aggregates_ = 0;
  uint64_t aggregated_users_ = 0;
};

}  // namespace streamgate::kinesis
