// Ingester's helpers (internal to gateway/core): fanning one record out to
// its modules under each module's partition key, and building the
// IngestResults of acceptance and of each refusal.
//
// Threading: plain functions without state of their own, callable from any
// thread; Fan writes only the caller's `shares` (and draws UUIDs from
// AppendRandomUuidV4's per-thread generator).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gateway/api/ingest.h"
#include "gateway/api/record.h"
#include "gateway/core/partition_key.h"
#include "gateway/core/router.h"

namespace streamgate {
namespace ingest_internal {

// An input with more records than limits.max_records_per_input.
IngestResult TooMany(absl::string_view field, size_t count, size_t limit);

// A refusal for `reason` about item `index` (-1: the whole input), its
// message `prefix` followed by `message`.
IngestResult Refuse(IngestReason reason, int64_t index,
                    absl::string_view prefix, absl::string_view message);

// ": record of `size` bytes ... exceeds the limit of `limit` bytes".
std::string TooLarge(size_t size, size_t limit);

// Why Fan could not add a record.
struct FanError {
  IngestReason reason = IngestReason::kAccepted;  // kAccepted: no error
  std::string message;  // ": ..." after the field name
};

// Adds `data` to every module in `targets` under that module's key (its
// partition_key template, a UUID, or `natural_key`), checking the
// per-record limit with each module's own key (a UUID is longer than an
// id). `expected`: the records still to come in this input, at most. An empty
// `natural_key` means the input has none (a mapped MQTT record without a device
// id): modules keyed by spec 3 refuse it.
FanError Fan(const Router& router, const std::vector<int>& targets,
             const RecordData& data, const std::string& natural_key,
             const KeyInput& key_input, size_t max_record_bytes,
             size_t expected, std::vector<ModuleShare>& shares);

// True when a module in `targets` keys by ${home_id}.
bool KeysByHome(const Router& router, const std::vector<int>& targets);

// The result of a Router::Submit that failed.
IngestResult Unqueued(absl::Status status);

// `count` records accepted.
IngestResult Accepted(size_t count);

}  // namespace ingest_internal
}  // namespace streamgate
