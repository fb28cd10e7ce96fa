// Validation of the JSON payload of /devices/{id}/event (spec 1.3):
// {"eventType": "...", "eventData": {...}} with eventData optional.
//
// eventData is passed on as JSON text, never as a parsed tree: the payload is
// parsed once with simdjson's DOM parser on a padded copy of the bytes as
// sent (full validation: every value, UTF-8), the types of the two fields
// are checked on the DOM, and the eventData object's text is then minified
// in place in that copy (insignificant whitespace removed; strings, escapes
// and number spellings kept exactly as the device sent them). Records
// therefore carry compact JSON that is byte-for-byte the device's own value
// text minus whitespace. With duplicate keys the first one wins (in
// validation and in the text alike).
//
// Threading: one EventPayloadParser per thread (it reuses its buffers); the
// views it returns stay valid until its next Parse call.
#pragma once

#include <cstddef>
#include <memory>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "simdjson.h"

namespace streamgate {

enum class EventRejection {
  kNone,
  kInvalidJson,  // not JSON at all
  kNotObject,    // JSON, but not an object
  kEventType,    // eventType missing, not a string, or empty
  kEventData,    // eventData present but not an object
};

struct EventPayload {
  absl::string_view event_type;  // unescaped
  absl::string_view data_json;   // compact object text; empty when absent
};

class EventPayloadParser {
 public:
  EventPayloadParser();
  EventPayloadParser(const EventPayloadParser&) = delete;
  EventPayloadParser& operator=(const EventPayloadParser&) = delete;

  // INVALID_ARGUMENT naming the field on a bad payload; `*rejection` (when
  // not null) tells which rule failed, for counters.
  absl::StatusOr<EventPayload> Parse(absl::string_view payload,
                                     EventRejection* rejection);

 private:
  bool Reserve(size_t size);

  std::unique_ptr<char[]> buffer_;  // payload copy + simdjson padding
  size_t capacity_ = 0;
  simdjson::dom::parser dom_;
};

}  // namespace streamgate
