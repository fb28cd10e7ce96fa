// Shared inputs of the Ingester tests: hand-written rendered events, event
// and bulk inputs, a routing config. Test-only; one thread.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "gateway/api/ingest.h"

namespace streamgate {
namespace testing {

// The rendered bytes of Event("alarm") and friends, written out by hand.
inline constexpr char kAlarmHome7[] =
    R"({"eventType":"alarm","eventData":{},"timestamp":"2023-11-14T22:13:20Z","homeId":7})";

inline EventInput Event(absl::string_view type, int64_t home_id = 7) {
  EventInput e;
  e.event_type = type;
  e.home_id = home_id;
  e.timestamp = absl::FromUnixSeconds(1700000000);
  return e;
}

inline std::string MsgpackVersion() { return std::string("\xa3" "1.0", 4); }

inline constexpr char kRouting[] = R"(
modules:
  - {id: all, subscribe_events: ["*"], sink: {type: stdout}}
  - {id: alarms, subscribe_events: [alarm, fire], sink: {type: stdout}}
  - {id: tele, bulk_data_label: telemetry, sink: {type: stdout}}
  - {id: anylabel, bulk_data_label: "*", sink: {type: stdout}}
)";

struct Bulk {
  std::vector<std::string> data;
  std::vector<const std::string*> ptrs;
  BulkInput input;

  Bulk(int64_t device, absl::string_view label,
       std::vector<std::string> records) : data(std::move(records)) {
    for (const auto& d : data) ptrs.push_back(&d);
    input.device_id = device;
    input.label = label;
    input.records = ptrs;
  }
};

inline constexpr char kRegistry[] = R"(
devices:
  - {id: 42, home_id: 7, class: thermostat}
  - {id: 43, home_id: 8}
modules:
  - {id: all, subscribe_events: ["*"], sink: {type: stdout}}
)";

}  // namespace testing
}  // namespace streamgate
