// Settling KPL aggregates: the retrier judges the Kinesis records of a
// request by index, an aggregate as one; these helpers turn that verdict
// into one on user records, which is what delivery reports, dead letters,
// pending counts and the module's metrics count. A failed aggregate is
// unpacked: its user records go back to their shard's queue on their own
// (with the aggregate's backoff, error and attempt) and are packed again,
// with whatever else is queued, when their backoff ends. A stored aggregate
// delivers all its user records; a dead one dead-letters them all.
// Plain records (no members) pass through unchanged.
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

// The user records of a request (an aggregate counts as its members).
UserRecordCount CountUserRecords(const PendingBatch& sent);

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

// Rewrites `outcome` (the retrier's verdict on a request whose user records
// are `sent`) in user records: retried and dead aggregates become their
// members, `delivered` and `delivered_bytes` count the user records of the
// stored ones, and `newly_possible_duplicates` (set only when the whole
// request may have been stored) counts user records.
void ExpandAggregates(RetryOutcome& outcome, const UserRecordCount& sent);

}  // namespace streamgate::kinesis
