// Parsing of MODE device topics (spec 1.3): "/devices/{deviceId}/event" and
// "/devices/{deviceId}/bulkData/{label}". The device id is a positive decimal
// int64 written canonically (no sign, no leading zeros, no overflow) so one id
// has exactly one topic spelling and the broker's per-device ACL (username =
// device id) cannot be sidestepped with "007" for device 7.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace streamgate {

// The subscriptions the adapter makes (without the "$share/{group}/" prefix).
inline constexpr absl::string_view kEventTopicFilter = "/devices/+/event";
inline constexpr absl::string_view kBulkTopicFilter = "/devices/+/bulkData/+";

struct DeviceTopic {
  enum class Kind { kEvent, kBulk };
  Kind kind = Kind::kEvent;
  int64_t device_id = 0;
  absl::string_view label;  // bulk only; a view into the parsed topic
};

// Parses a decimal device id: digits only, no leading zero, 1..INT64_MAX.
absl::StatusOr<int64_t> ParseDeviceId(absl::string_view text);

// INVALID_ARGUMENT with the reason when the topic is not one of the two forms.
absl::StatusOr<DeviceTopic> ParseDeviceTopic(absl::string_view topic);

}  // namespace streamgate
