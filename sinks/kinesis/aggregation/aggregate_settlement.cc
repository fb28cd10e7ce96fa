#include "sinks/kinesis/aggregation/aggregate_settlement.h"

#include <utility>

namespace streamgate::kinesis {
void UnpackAggregates(PendingBatch& batch) {
  bool any = false;
  for (const PendingRecord& r : batch) any |= !r.members.empty();
  if (!any) return;
  PendingBatch users;
  for (PendingRecord& r : batch) {
    if (r.members.empty()) {
      users.push_back(std::move(r));
      continue;
    }
    for (PendingRecord& m : r.members) {
      m.attempts = r.attempts;
      m.not_before = r.not_before;
      m.last_error = r.last_error;
      m.possible_duplicate |= r.possible_duplicate;
      m.shard = r.shard;
      m.generation = r.generation;
      users.push_back(std::move(m));
    }
  }
  batch = std::move(users);
}

UserRecordCount CountUserRecords(const PendingBatch& batch) {
  UserRecordCount count;
  ForEachUserRecord(batch, [&](const PendingRecord& r) {
    ++count.records;
    count.bytes += r.size();
  });
  return count;
}

void ExpandAggregates(RetryOutcome& outcome, const UserRecordCount& sent) {
  UnpackAggregates(outcome.dead);
  const UserRecordCount retried = CountUserRecords(outcome.retry);
  const UserRecordCount dead = CountUserRecords(outcome.dead);
  outcome.delivered = sent.records - retried.records - dead.records;
  outcome.delivered_bytes = sent.bytes - retried.bytes - dead.bytes;
  if (outcome.newly_possible_duplicates > 0) {
    outcome.newly_possible_duplicates = sent.records;
  }
}

}  // namespace streamgate::kinesis
