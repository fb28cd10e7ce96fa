// Generic topic mappings (issue 14 item 2): `mqtt.mappings`, a list of MQTT
// topic filters for devices that do not speak MODE's topics, each saying
// what a message on it becomes:
//   as: record  the payload bytes are one bulk-data record under `label`
//   as: event   the payload (a JSON object) is the eventData of a MODE event
//               whose type is `event_type` (a template or a fixed string)
// `device_id` is a template (${topic(N)}, ${topic()}, ${payload.FIELD} or a
// fixed id) that must give a positive decimal integer; it is required for
// events and optional for records (a record without one has no device: its
// modules must key it by partition_key or use_uuid). `mqtt.mode_topics:
// false` turns MODE's /devices/... subscriptions off.
// Plain values and pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "gateway/api/config_reader.h"
#include "gateway/common/template.h"

namespace streamgate {

struct TopicMapping {
  enum class As { kRecord, kEvent };
  std::string topic;  // the filter, without any $share/ prefix
  As as = As::kRecord;
  std::string label;  // records
  absl::optional<Template> device_id;
  absl::optional<Template> event_type;  // events
};

// Parses `mqtt.mappings` (absent: none). `m` is the mqtt section's reader.
// Filters that overlap each other, or MODE's topics when `mode_topics`, are
// refused: an MQTT 5 broker delivers a message once per matching
// subscription, which would make duplicate records.
absl::StatusOr<std::vector<TopicMapping>> ParseTopicMappings(
    const ConfigReader& m, bool mode_topics);

// An empty string, or the reason `filter` is not a valid MQTT topic filter
// ('+' and '#' only as whole levels, '#' last; no NUL; at most 65535 bytes).
std::string TopicFilterError(absl::string_view filter);

// True when some topic matches both filters.
bool FiltersOverlap(absl::string_view a, absl::string_view b);

// MQTT filter matching: '+' one level, '#' the rest (and the parent level).
// Wildcards at the first level do not match topics starting with '$'.
bool TopicMatches(absl::string_view filter, absl::string_view topic);

// The mapping whose filter matches `topic` (filters do not overlap); null
// when none does.
const TopicMapping* FindMapping(const std::vector<TopicMapping>& mappings,
                                absl::string_view topic);

}  // namespace streamgate
