// PendingRecord: one record on its way through the Kinesis sink's pipeline
// (key order -> shard assembler -> request -> retrier), with what the retrier
// needs to know about its history. Plain value; moved between the sink's
// threads, never shared.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/time/time.h"
#include "gateway/api/record.h"

namespace streamgate::kinesis {

struct PendingRecord {
  OutRecord record;
  absl::Time accepted;    // when Write took it; record_ttl counts from here
  absl::Time not_before;  // earliest next attempt (backoff)
  int attempts = 0;       // PutRecords attempts so far
  std::string last_error; // last error code/message, for the dead letter
  bool possible_duplicate = false; // an earlier attempt may have been stored
  uint64_t ticket = 0; // the Deliver call whose `done` waits for it; 0: none
  absl::uint128 hash_key = 0; // MD5 of the partition key (its shard)
  // Where the assembler last sent it: shard index in map `generation`
  // (-1: not sent yet), for the per-shard rate feedback and metrics.
  int shard = -1;
  uint64_t generation = 0;
  // A KPL aggregate (sinks/kinesis/aggregation): the user records it
  // carries, settled with it; empty for a user record.
  std::vector<PendingRecord> members;
  // Sent as the record's ExplicitHashKey (decimal) when not empty.
  std::string explicit_hash_key;

  // Bytes AWS counts against the request and record limits.
  size_t size() const { return record.size(); }
};

using PendingBatch = std::vector<PendingRecord>;

} // namespace streamgate::kinesis
