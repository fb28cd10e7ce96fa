// Decodes a MODE bulk-data payload (spec 1.2): MessagePack "1.0" followed by
// zero or more byte arrays (bin or str) back to back, or by exactly one array
// of byte arrays as the second and last object. Anything else rejects the
// whole payload. Zero-copy parse (msgpack-c's visitor API, no exceptions);
// each record is copied once into its own string. Pure, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"

namespace streamgate {

// INVALID_ARGUMENT with the reason and byte offset on any malformed input,
// and as soon as the payload decodes more than `max_records` records (4 MiB
// of one-byte records would otherwise become 4 million strings).
absl::StatusOr<std::vector<std::string>> DecodeBulkPayload(
    absl::string_view payload, size_t max_records = SIZE_MAX);

}  // namespace streamgate
