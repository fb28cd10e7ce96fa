// Partition keys of spec 3 and issue 14: a random UUIDv4 per record when the
// module sets use_uuid; a module's partition_key template when it sets one
// (${device_id}, ${home_id}, ${label}, ${event_type}, ${newuuid()} and, for
// MQTT inputs, ${topic()}, ${topic(N)}, ${payload.FIELD}); else the device
// id (device events, bulk data) or the home id (home events) in decimal.
// Thread-safe (per-thread random generator).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "gateway/api/ingest.h"
#include "gateway/common/template.h"

namespace streamgate {

// Kinesis bounds a partition key to 1..256 Unicode characters.
inline constexpr size_t kMaxPartitionKeyChars = 256;

// A fresh random UUIDv4 in lower-case canonical form (36 characters).
std::string RandomUuidV4();
void AppendRandomUuidV4(std::string& out);

// The decimal id key.
std::string IdKey(int64_t id);

// What a partition-key template may use of one input; unset or empty
// fields have no value (the record is then refused with the reason).
struct KeyInput {
  absl::optional<int64_t> device_id;
  absl::optional<int64_t> home_id;
  absl::string_view label;       // bulk data
  absl::string_view event_type;  // events
  const InputSource* source = nullptr;
};

// Parses a module's partition_key (the message is the reason only).
absl::StatusOr<Template> ParsePartitionKey(absl::string_view text);

// Expands `key` for `in` into `out` (replacing it). INVALID_ARGUMENT with
// the reason when a variable has no value or the result is not 1..256
// characters.
absl::Status ExpandPartitionKey(const Template& key, const KeyInput& in,
                                std::string& out);

}  // namespace streamgate
