// Wire diagnosis: says why protobuf refused a message's bytes, for the one
// answer a client gets when its request does not parse. protobuf's parser
// only says yes or no (and prints a line to its own log); this walks the
// wire format against the message's descriptor and names the first fault:
// invalid UTF-8 in a proto3 string field (its path, e.g.
// "batch.events[2].event_type"), messages nested deeper than the parser's
// recursion limit, or bytes that are not protobuf at all. It runs only
// after a parse failed, so it may be slow; its own recursion stops at the
// limit, so hostile nesting cannot exhaust the stack.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace google::protobuf {
class Descriptor;
}

namespace streamgate {

// The first fault in `bytes` as a message of `type`, in words ("invalid
// UTF-8 in string field event_type", "nesting deeper than 100 levels (in
// event_data)", "malformed protobuf bytes (at byte 17)"); empty when none is
// found. `depth_limit` is the parser's recursion limit: how many messages
// may nest below the top-level one.
std::string DiagnoseWireBytes(const google::protobuf::Descriptor& type,
                              absl::string_view bytes, int depth_limit);

// The value of the varint field `number` at the top level of `bytes` (the
// last one, as protobuf keeps it), read up to the first fault; nullopt when
// absent. Used to recover a Publish item's id from bytes that do not parse.
absl::optional<uint64_t> TopLevelVarint(absl::string_view bytes, int number);

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool IsValidUtf8(absl::string_view text);

}  // namespace streamgate
