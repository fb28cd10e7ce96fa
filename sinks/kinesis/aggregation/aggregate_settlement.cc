#include "sinks/kinesis/aggregation/aggregate_settlement.h"

#include <utility>

namespace streamgate::kinesis {
namespace {

// Replaces each aggregate of `batch` by its members, which take the
// aggregate's fate; adds their count and bytes to `moved`.
void Unpack(PendingBatch& batch, UserRecordCount& moved) {
  bool any = false;
  for (const PendingRecord& r : batch) any |= !r.members.empty();
  if (!any) {
    for (const PendingRecord& r : batch) {
      ++moved.records;
      moved.bytes += r.size();
    }
    return;
  }
  PendingBatch users;
  for (PendingRecord& r : batch) {
    if (r.members.empty()) {
      ++moved.records;
      moved.bytes += r.size();
      users.push_back(std::move(r));
      continue;
    }
    for (PendingRecord& m : r.members) {
      // This attempt counts for each of them.
      ++m.attempts;
      m.not_before = r.not_before;
      m.last_error = r.last_error;
      m.possible_duplicate |= r.possible_duplicate;
      m.shard = r.shard;
      m.generation = r.generation;
      ++moved.records;
      moved.bytes += m.size();
      users.push_back(std::move(m));
    }
  }
  batch = std::move(users);
}

}  // namespace

UserRecordCount CountUserRecords(const PendingBatch& sent) {
  UserRecordCount count;
  ForEachUserRecord(sent, [&](const PendingRecord& r) {
    ++count.records;
    count.bytes += r.size();
  });
  return count;
}

void ExpandAggregates(RetryOutcome& outcome, const UserRecordCount& sent) {
  UserRecordCount not_stored;
  Unpack(outcome.retry, not_stored);
  Unpack(outcome.dead, not_stored);
  outcome.delivered = sent.records - not_stored.records;
  outcome.delivered_bytes = sent.bytes - not_stored.bytes;
  if (outcome.newly_possible_duplicates > 0) {
    outcome.newly_possible_duplicates = sent.records;
  }
}

}  // namespace streamgate::kinesis
