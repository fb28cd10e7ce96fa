// GatewayView: what a gateway's config (--gateway-config FILE) says it will
// take from the simulator, so an MQTT run can say which messages the
// gateway refused although the broker acknowledged them (PUBACK means the
// broker has them, not the gateway): devices not in its registry without
// mqtt.default_home_id are refused; event types and bulk labels no module
// subscribes to are accepted but go nowhere. Read straight from the YAML
// (the simulator does not link the gateway).
//
// Immutable after Load; const methods are thread-safe.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/sim/message_source.h"
#include "tools/sim/sim_options.h"

namespace streamgate::sim {

class GatewayView {
 public:
  // Errors name the file (unreadable, not YAML, no `modules` list).
  static absl::StatusOr<GatewayView> Load(const std::string& path);
  // The same from text (tests).
  static absl::StatusOr<GatewayView> Parse(const std::string& yaml,
                                           const std::string& what);

  // True when the gateway takes MQTT messages from `device`.
  bool AcceptsDevice(int64_t device) const;

  // Warnings before a run, one line each: devices the gateway refuses
  // (listed as ranges), event types and a bulk label no module takes.
  std::vector<std::string> Warnings(const SimOptions& options,
                                    const MessageSource& source) const;

  // How many of messages 0..sent-1 the gateway refuses (MQTT), and their
  // records.
  struct Refused {
    int64_t messages = 0;
    int64_t records = 0;
  };
  Refused RefusedMessages(const MessageSource& source, int64_t sent) const;

  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::set<int64_t> devices_;
  bool default_home_ = false;
  bool all_events_ = false;
  std::set<std::string> event_types_;
  std::set<std::string> bulk_labels_;  // "*" takes every label
};

}  // namespace streamgate::sim
