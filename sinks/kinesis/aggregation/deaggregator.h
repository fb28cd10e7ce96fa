// Deaggregate: splits a Kinesis record's data in the KPL aggregation format
// back into its user records, checking the MD5 trailer, the way the KCL and
// aws-kinesis-agg do. Used by streamgate-tail --deaggregate and the tests.
// Hostile input gets a bounded answer: every length and index is checked
// against the bytes and tables present, and user records are views into the
// input, so the output never outgrows it. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace streamgate::kinesis {

struct UserRecord {
  absl::string_view partition_key;
  absl::string_view explicit_hash_key;  // empty when the record has none
  absl::string_view data;
};

// True when `data` starts with the KPL magic and is long enough to hold the
// magic and the MD5 trailer.
bool IsAggregated(absl::string_view data);

// The user records of an aggregated record, in order; views into `data`.
// Fails (DataLoss) on a bad checksum or malformed protobuf, and
// (InvalidArgument) when `data` is not aggregated at all.
absl::StatusOr<std::vector<UserRecord>> Deaggregate(absl::string_view data);

}  // namespace streamgate::kinesis
