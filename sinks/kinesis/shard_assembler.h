// ShardAssembler: builds PutRecords requests from per-shard queues, taking
// from each shard only what its rate limiter allows, so a busy stream is
// not throttled in the first place (it replaced the shard-blind Batcher).
// A record is queued on the shard of its hash key in the current
// ShardMap; until a map is known every record sits on one unlimited
// pseudo-shard (the sink then behaves as before shard awareness). A new
// map (refresh, reshard) re-queues what waits by the new ranges and keeps
// the limiter of every shard that is still open.
//
// A request is ready when its shards' sendable records fill it, when the
// oldest sendable record has waited `linger`, or on a flush. A shard adds
// records only once its bucket holds a chunk (a fifth of a second's worth,
// or all it has queued), so a limited stream sends few full requests, not
// a stream of one-record ones. Retries wait in their shard until their
// backoff ends, then go ahead of newer records. The shard's user records
// become Kinesis records through the RecordPacker seam (aggregation).
//
// Pure: time is passed in, no threads. Not thread-safe; the sink locks it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "sinks/kinesis/pending_record.h"
#include "sinks/kinesis/record_packer.h"
#include "sinks/kinesis/shard_map.h"
#include "sinks/kinesis/token_bucket.h"

namespace streamgate::kinesis {

// One shard's counters and allowed rate, for /metrics.
struct ShardStats {
  std::string shard_id;
  uint64_t records_sent = 0;  // record attempts (retries included)
  uint64_t bytes_sent = 0;
  uint64_t records_stored = 0;
  uint64_t throttled = 0;  // attempts refused for throughput
  double allowed_records_per_s = 0;
  double allowed_bytes_per_s = 0;
  size_t queued = 0;
};

class ShardAssembler {
 public:
  struct Limits {
    size_t max_records = 500;
    size_t max_bytes = 5 * 1048576;
    absl::Duration linger = absl::Milliseconds(100);
  };

  // `packer` null: PassThroughPacker.
  ShardAssembler(Limits limits, RateLimit rate,
                 std::unique_ptr<RecordPacker> packer, absl::Time now);

  // A new record that may go out (past the ordering gate): queued behind
  // what its shard holds. Its hash_key must be set. Its not_before (the
  // time it was accepted) may lie after `now`: the sink's threads read the
  // clock apart (Apply releases a key's held records with a time read
  // before Deliver's), and such a record is still new, never a retry
  // waiting for a backoff, which would send it ahead of older ones.
  void Add(PendingRecord record, absl::Time now);

  // A record (or aggregate) that failed and waits until its not_before
  // (the backoff); once due it goes ahead of the records queued meanwhile,
  // due retries oldest first.
  void Retry(PendingRecord record, absl::Time now);

  // The next request, if one is ready at `now`; `force` (flush) sends what
  // the limiters allow without waiting for linger.
  std::optional<PendingBatch> TakeReady(absl::Time now, bool force);

  // When TakeReady may next return a request without new input;
  // InfiniteFuture when nothing waits.
  absl::Time NextWakeup(absl::Time now);

  // Answers for records the assembler sent: `stored` and `throttled`
  // records of shard `shard` of map `generation` (stale generations are
  // ignored: the shard may be gone).
  void Report(int shard, uint64_t generation, size_t stored, size_t throttled,
              absl::Time now);

  // A new shard map. Returns true when it differs from the one in use.
  bool SetMap(ShardMap map, absl::Time now);
  const ShardMap& map() const { return map_; }
  uint64_t generation() const { return generation_; }
  // Records whose hash fell in no range since the last SetMap (a reshard
  // half seen): the caller refreshes the map early.
  bool saw_unmapped() const { return saw_unmapped_; }

  size_t size() const { return queued_; }
  bool empty() const { return queued_ == 0; }
  // Records queued and not waiting for a backoff.
  size_t ready_count() const { return ready_count_; }

  std::vector<ShardStats> Stats() const;

  // Removes everything (Close).
  PendingBatch TakeAll();

 private:
  struct Shard {
    Shard(std::string id, const RateLimit& rate, bool limited, absl::Time now)
        : stats{std::move(id)}, limiter(rate, now), limited(limited) {}
    ShardStats stats;
    ShardRateLimiter limiter;
    bool limited;                        // false: the pseudo-shard (no map)
    std::deque<PendingRecord> ready;     // oldest first
    std::vector<PendingRecord> delayed;  // min-heap on not_before
  };
  class Budget;

  size_t ShardOf(const PendingRecord& r);
  void QueueReady(PendingRecord r, absl::Time now);
  void QueueRetry(PendingRecord r, absl::Time now);
  void PromoteDue(Shard& s, absl::Time now);
  // Records the shard would add now (0 while its bucket fills to a chunk).
  size_t Sendable(Shard& s, absl::Time now);
  size_t Chunk(const Shard& s) const;

  const Limits limits_;
  const RateLimit rate_;
  std::unique_ptr<RecordPacker> packer_;
  ShardMap map_;
  uint64_t generation_ = 0;
  std::vector<std::unique_ptr<Shard>> shards_;
  size_t next_shard_ = 0;  // round robin start
  size_t queued_ = 0;
  size_t ready_count_ = 0;
  bool saw_unmapped_ = false;
};

}  // namespace streamgate::kinesis
