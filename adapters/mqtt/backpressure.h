// Backpressure: how the MQTT adapter waits for room. While Ingest answers
// that a module queue is full (IngestReason::kFull) or the gateway is not
// taking input (kUnavailable), the message in hand is offered again after
// sleeps growing from 1 to 50 ms. The loop thread stalls meanwhile, so no
// PUBACK goes out and the broker holds everything else: nothing is dropped
// by the gateway. One WARN when a stall begins, one INFO when it ends.
//
// Threading: Publish runs on the session's loop thread only.
#pragma once

#include <string>

#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "adapters/mqtt/mqtt_counters.h"
#include "adapters/mqtt/stop_signal.h"
#include "gateway/api/ingest.h"

namespace streamgate {

class Backpressure {
 public:
  // `broker` ("host:port") names where intake pauses, for the log.
  Backpressure(std::string broker, const StopSignal& stop,
               MqttCounters& counters);

  // Calls `publish` until its answer is neither kFull nor kUnavailable and
  // returns that answer; nullopt when the adapter stops accepting while it
  // waits (leave the message unacknowledged).
  absl::optional<IngestResult> Publish(
      absl::FunctionRef<IngestResult()> publish);

 private:
  const std::string broker_;
  const StopSignal& stop_;
  MqttCounters& counters_;
  // When the current stall began; InfinitePast when there is none.
  absl::Time stall_started_ = absl::InfinitePast();
};

}  // namespace streamgate
