// RecordPacker: the seam where one shard's queue of user records becomes
// the Kinesis records of a PutRecords request. The default, PassThrough,
// sends each user record as one Kinesis record. KPL aggregation (the
// sinks/kinesis/aggregation/ packer) plugs in here: one Kinesis record
// may then carry many user records of the shard; it must keep the user
// records of one key in their queue order inside the Kinesis record, and
// the retrier settles the Kinesis record by its index in the request, so
// the packed record has to carry its user records along to settle them
// all (stored, retried or dead-lettered together).
//
// Called by ShardAssembler under the sink's lock; implementations must not
// block. Not thread-safe.
#pragma once

#include <cstddef>
#include <deque>

#include "sinks/kinesis/pending_record.h"
#include "sinks/kinesis/shard_map.h"

namespace streamgate::kinesis {

// What the request being assembled, and the shard's rate budget, still
// allow. Every Kinesis record a packer emits must be checked with Fits and
// then charged with Take.
class PackBudget {
 public:
  virtual ~PackBudget() = default;
  // One more Kinesis record of `bytes` (data + partition key) fits.
  virtual bool Fits(size_t bytes) = 0;
  virtual void Take(size_t bytes) = 0;
};

class RecordPacker {
 public:
  virtual ~RecordPacker() = default;
  // Moves records from the front of `ready` (one shard's sendable user
  // records, oldest first) to the back of `out` as Kinesis records, while
  // `budget` allows. `shard` is the shard's hash-key range; null while no
  // shard map is known (one pseudo-shard holds the records of every shard).
  virtual void Pack(std::deque<PendingRecord>& ready, const ShardRange* shard,
                    PackBudget& budget, PendingBatch& out) = 0;
};

// One Kinesis record per user record.
class PassThroughPacker : public RecordPacker {
 public:
  void Pack(std::deque<PendingRecord>& ready, const ShardRange* /*shard*/,
            PackBudget& budget, PendingBatch& out) override {
    while (!ready.empty() && budget.Fits(ready.front().size())) {
      budget.Take(ready.front().size());
      out.push_back(std::move(ready.front()));
      ready.pop_front();
    }
  }
};

}  // namespace streamgate::kinesis
