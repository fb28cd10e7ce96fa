// Renders one event to the MODE Event JSON of spec 1.1: keys in the spec's
// order, absent optional keys omitted, eventData walked directly from the
// protobuf Struct (protobuf's own JSON printer is ~18x slower and its key
// order varies). Object keys are sorted so equal inputs give equal bytes.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"

namespace google::protobuf {
class Struct;
}

namespace streamgate {

// An event with every field resolved (home from the registry, receive time).
struct ResolvedEvent {
  absl::string_view event_type;
  const google::protobuf::Struct* data_struct = nullptr;  // or data_json
  absl::string_view data_json;  // a JSON object's text; empty renders {}
  absl::Time timestamp;
  int64_t home_id = 0;
  absl::optional<int64_t> origin_device_id;
  absl::string_view origin_device_class;
  absl::string_view origin_device_ip;
  absl::string_view origin_project_key_id;
  absl::string_view origin_project_key_name;
};

// Appends the event's JSON to `out`. Fails with INVALID_ARGUMENT naming the
// offending path (e.g. "event_data.reading: NaN is not valid JSON") when the
// Struct holds a value JSON cannot carry; `out` is then unspecified.
absl::Status RenderEvent(const ResolvedEvent& event, std::string& out);

// Appends a Struct as a compact JSON object with sorted keys.
absl::Status AppendStructJson(const google::protobuf::Struct& s,
                              std::string& out);

}  // namespace streamgate
