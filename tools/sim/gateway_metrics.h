// What the gateway's own MQTT counters say about a run (--gateway-metrics
// HOST:PORT): the simulator scrapes the gateway's /metrics before and after
// an MQTT run and reports how many messages the gateway received, accepted
// and rejected (by reason) meanwhile — a PUBACK is the broker's, so this
// is the only way to learn what the gateway itself made of them. Assumes
// the simulator is the only MQTT publisher the gateway hears meanwhile.
//
// Threading: pure functions and a blocking HTTP GET; any thread.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace streamgate::sim {

struct MqttIntake {
  double received = 0;
  double accepted = 0;                     // every kind
  std::map<std::string, double> rejected;  // by reason
  double rejected_total() const;
  // this - before, per counter.
  MqttIntake Minus(const MqttIntake& before) const;
};

// Reads streamgate_mqtt_messages_{received,accepted,rejected}_total from a
// Prometheus text exposition. NOT_FOUND when it has no
// streamgate_mqtt_messages_received_total (no MQTT input).
absl::StatusOr<MqttIntake> ParseMqttIntake(absl::string_view exposition);

// GET http://TARGET/metrics (TARGET "HOST:PORT", or a URL), then parse.
absl::StatusOr<MqttIntake> ScrapeMqttIntake(const std::string& target,
                                            absl::Duration timeout);

}  // namespace streamgate::sim
