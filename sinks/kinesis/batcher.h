// Batcher: groups pending records into PutRecords-sized batches. A batch is
// ready when it is full by count (max_records) or by bytes (data + partition
// keys, the way Kinesis counts a request against its 5 MiB), when its oldest
// record has waited `linger`, or when a flush forces it out. Records waiting
// for a retry backoff are held until their not_before time and then go ahead
// of newer records. A record larger than max_bytes travels alone.
//
// Pure: time is passed in, no threads. Not thread-safe; the sink locks it.
#pragma once

#include <cstddef>
#include <algorithm>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "sinks/kinesis/pending_record.h"

namespace streamgate::kinesis {

class Batcher {
 public:
  struct Limits {
    size_t max_records = 500;
    size_t max_bytes = 5 * 1048576;
    absl::Duration linger = absl::Milliseconds(100);
  };

  explicit Batcher(Limits limits);

  // A new record (not_before <= now) or a retry (not_before in the future).
  void Add(PendingRecord record, absl::Time now);

  // The next batch to send, if one is ready at `now`. `force` sends a
  // partial batch without waiting for linger (flush); records still in
  // backoff are never forced.
  std::optional<PendingBatch> TakeReady(absl::Time now, bool force);

  // When TakeReady may next return a batch without new input;
  // InfiniteFuture when empty.
  absl::Time NextWakeup() const;

  size_t size() const { return ready_count() + delayed_.size(); }
  size_t ready_count() const { return ready_.size() - head_; }
  // A full batch is waiting (TakeReady would return it without lingering).
  bool HasFullBatch() const { return Full(); }
  size_t delayed_count() const { return delayed_.size(); }
  bool empty() const { return size() == 0; }

  // Removes everything (used at Close to dead-letter what is left).
  PendingBatch TakeAll();

 private:
  struct Entry {
    absl::Time since;  // linger counts from here
    PendingRecord record;
  };
  struct Later {
    bool operator()(const PendingRecord& a, const PendingRecord& b) const {
      return a.not_before > b.not_before;
    }
  };

  void PromoteDue(absl::Time now);
  bool Full() const;
  // Drops moved-from slots once the queue drains or they dominate.
  void Compact();

  Limits limits_;
  // FIFO of ready records: ready_[head_..] are live, ready_[..head_) are
  // moved-from slots. A vector reused across batches instead of a deque, so
  // queueing a record allocates nothing once the vector has grown.
  std::vector<Entry> ready_;
  size_t head_ = 0;
  size_t ready_bytes_ = 0;
  std::vector<PendingRecord> delayed_;  // min-heap on not_before (Later)
};

}  // namespace streamgate::kinesis
