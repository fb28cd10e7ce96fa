#include "adapters/mqtt/topic.h"

#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace streamgate {

absl::StatusOr<int64_t> ParseDeviceId(absl::string_view text) {
  if (text.empty()) {
    return absl::InvalidArgumentError("device id is empty");
  }
  if (text[0] == '0') {
    return absl::InvalidArgumentError(
        "device id must be a positive integer without leading zeros");
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError(
          "device id must be a positive decimal integer");
    }
    const int digit = c - '0';
    if (value > (kMax - digit) / 10) {
      return absl::InvalidArgumentError("device id is out of range");
    }
    value = value * 10 + digit;
  }
  return value;
}

absl::StatusOr<DeviceTopic> ParseDeviceTopic(absl::string_view topic) {
  constexpr absl::string_view kPrefix = "/devices/";
  if (topic.substr(0, kPrefix.size()) != kPrefix) {
    return absl::InvalidArgumentError("topic does not start with /devices/");
  }
  absl::string_view rest = topic.substr(kPrefix.size());
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError("topic has no kind after the device id");
  }
  DeviceTopic out;
  auto id = ParseDeviceId(rest.substr(0, slash));
  if (!id.ok()) return id.status();
  out.device_id = *id;
  rest = rest.substr(slash + 1);

  constexpr absl::string_view kBulk = "bulkData/";
  if (rest == "event") {
    out.kind = DeviceTopic::Kind::kEvent;
    return out;
  }
  if (rest.substr(0, kBulk.size()) == kBulk) {
    absl::string_view label = rest.substr(kBulk.size());
    if (label.empty()) {
      return absl::InvalidArgumentError("bulk data label is empty");
    }
    if (label.find('/') != absl::string_view::npos) {
      return absl::InvalidArgumentError("bulk data label contains '/'");
    }
    out.kind = DeviceTopic::Kind::kBulk;
    out.label = label;
    return out;
  }
  return absl::InvalidArgumentError(
      "topic is neither /devices/{id}/event nor /devices/{id}/bulkData/{label}");
}

}  // namespace streamgate
