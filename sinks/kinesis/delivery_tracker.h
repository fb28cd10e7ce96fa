// DeliveryTracker: the completion bookkeeping of Sink::Deliver. Each
// Deliver call opens a ticket for its records; the pipeline tags every
// record with it and reports, per ticket, how many records were stored,
// dead-lettered or sent back for a retry. When the last record of a ticket
// settles, its `done` runs with the batch's DeliveryReport. At Close,
// CloseAll completes whatever is still open with the rest as undelivered.
// Knows tickets and counts only, nothing of Kinesis.
//
// Threading: thread-safe. `done` callbacks run outside the lock (a
// spool's completion takes locks of its own), on the thread that settled
// the last record.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "gateway/api/sink.h"

namespace streamgate::kinesis {

// What became of some records of one ticket in one step.
struct Tally {
  uint64_t delivered = 0;
  uint64_t dead_lettered = 0;
  uint64_t retries = 0;  // records sent back for another attempt
};

// Per ticket; few entries per request, since batches are contiguous.
using Tallies = std::vector<std::pair<uint64_t, Tally>>;

// The entry of `ticket` in `tallies`, added when missing.
Tally& TallyOf(Tallies& tallies, uint64_t ticket);

class DeliveryTracker {
 public:
  // A ticket for `records` records (at least one) whose batch completes
  // with `done`.
  uint64_t Open(size_t records, DeliveryDone done);

  // Adds `tallies` to their tickets' reports; completes the tickets whose
  // records have all been delivered or dead-lettered.
  void Settle(const Tallies& tallies);

  // Completes every open ticket, its unsettled records reported as
  // undelivered. Returns how many records that was.
  uint64_t CloseAll();

 private:
  struct Ticket {
    uint64_t remaining = 0;
    DeliveryReport report;
    DeliveryDone done;
  };

  absl::Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, Ticket> open_ ABSL_GUARDED_BY(mu_);
};

}  // namespace streamgate::kinesis
