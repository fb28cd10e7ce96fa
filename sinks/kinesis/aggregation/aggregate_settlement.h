// Settling KPL aggregates: the retrier judges the Kinesis records of a
// request by index, an aggregate as one; these helpers turn that verdict
// into one on user records where user records are what counts (delivery
// reports, dead letters, pending counts, the module's metrics, the
// ordering gate). An aggregate is retried as a unit: it goes back to its
// shard's queue whole (attempts, backoff and TTL its own; its TTL counts
// from its oldest user record) and is sent again as it is, so the user
// records of one key inside it stay together and in order. A stored
// aggregate delivers all its user records; a dead one dead-letters them
// all, with its error and attempt count. Plain records pass through.
//
// Pure functions; thread-compatible.
#pragma once

#include <cstddef>

#include "sinks/kinesis/pending_record.h"
#include "sinks/kinesis/retrier.h"

namespace streamgate::kinesis {

struct UserRecordCount {
  size_t records = 0;
  size_t bytes = 0;  // data + partition key of each user record
};

// The user records of a batch (an aggregate counts as its members).
UserRecordCount CountUserRecords(const PendingBatch& batch);

// Calls `fn(const PendingRecord&)` on every user record of `batch`.
template <typename Fn>
void ForEachUserRecord(const PendingBatch& batch, Fn&& fn) {
  for (const PendingRecord& r : batch) {
    if (r.members.empty()) {
      fn(r);
    } else {
      for (const PendingRecord& m : r.members) fn(m);
    }
  }
}

// Replaces each aggregate of `batch` by its user records, which take the
// aggregate's attempts, backoff, error and possible-duplicate mark (Close
// settles what is left this way).
void UnpackAggregates(PendingBatch& batch);

// Rewrites `outcome` (the retrier's verdict on a request whose user records
// are `sent`) in user records: dead aggregates become their members, with
// the aggregate's error, attempts and possible-duplicate mark; `delivered`
// and `delivered_bytes` count the user records of the stored ones;
// `newly_possible_duplicates` (set only when the whole request may have
// been stored) counts user records. Retried aggregates stay whole.
void ExpandAggregates(RetryOutcome& outcome, const UserRecordCount& sent);

}  // namespace streamgate::kinesis
