// KeyOrder: the ordering gate of the Kinesis sink (ordering: per_key).
// Records of one partition key must be stored in the order the gateway
// accepted them, whatever happens to a request (partial failure,
// throttling, timeout, retry). Kinesis does not order the records of one
// PutRecords request against each other when some fail, so the rule is
// strict: at most one record of a key is out (queued to send, in flight or
// waiting to retry); the key's later records are held here, in order,
// until that one is settled (stored or dead-lettered), then the next one
// goes out.
//
// With KPL aggregation (group_bytes > 0) the unit out is a group: when a
// key's records out are all settled, its held records go out together, in
// order, up to group_bytes (at least one). The aggregation packer keeps
// such a run of one key in one Kinesis record, stored or retried as a
// unit, so the order holds while many records of a key travel at once.
//
// With ordering: none the gate lets everything through at once.
//
// Pure, no I/O. Not thread-safe (the sink locks it).
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "sinks/kinesis/pending_record.h"

namespace streamgate::kinesis {

class KeyOrder {
 public:
  explicit KeyOrder(bool per_key, size_t group_bytes = 0)
      : per_key_(per_key), group_bytes_(group_bytes) {}

  // A newly accepted record: returned when it may go out now (its key has
  // nothing out), else held (nullopt).
  std::optional<PendingRecord> Admit(PendingRecord record);

  // A record of `key` that was out is settled for good: returns the key's
  // next held record, which is now the one out, if there is one. (A record
  // that will be retried is not settled: its key stays blocked.) Without
  // groups only.
  std::optional<PendingRecord> Settled(const std::string& key);

  // The same for groups: once every record of the key that was out is
  // settled, the key's next group (oldest first), now out; else empty.
  PendingBatch SettledGroup(const std::string& key);

  size_t held() const { return held_; }
  // Keys with a record out.
  size_t keys_out() const { return keys_.size(); }

  // Every held record (Close); the gate forgets every key.
  PendingBatch TakeAll();

 private:
  struct Key {
    std::deque<PendingRecord> held;  // oldest first
    size_t out = 1;                  // records of the key out
  };

  const bool per_key_;
  const size_t group_bytes_;
  // Key -> its records out and held; present while a record of the key is
  // out.
  absl::flat_hash_map<std::string, Key> keys_;
  size_t held_ = 0;
};

}  // namespace streamgate::kinesis
