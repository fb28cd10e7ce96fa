// MqttPublisher: publishes the simulated devices' messages to an MQTT broker
// on MODE's device topics (/devices/{id}/event, /devices/{id}/bulkData/{label}).
// One shared connection, or with mqtt_auth_device_id one connection per
// device whose username is the device id (as the broker's per-device ACL
// expects). QoS 1: a message is acked on its PUBACK; QoS 0: once written.
//
// Threading: Run() on one thread; each connection's libmosquitto network
// thread (loop_start) runs the callbacks, which touch only the connection's
// mutex-guarded maps and SimStats.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "tools/sim/message_source.h"
#include "tools/sim/pacer.h"
#include "tools/sim/sim_options.h"
#include "tools/sim/sim_stats.h"

namespace streamgate::sim {

class MqttPublisher {
 public:
  MqttPublisher(const SimOptions& options, const MessageSource& source,
                SimStats& stats);
  ~MqttPublisher();

  // Connects, publishes until `pacer` says stop, waits (up to 30 s) for the
  // outstanding acknowledgements and disconnects. Errors: connection refused
  // or a publish that cannot be queued.
  absl::Status Run(Pacer& pacer);

  struct Connection;  // defined in the .cc (libmosquitto state)

 private:
  absl::Status Connect();
  void Disconnect();

  const SimOptions& options_;
  const MessageSource& source_;
  SimStats& stats_;
  std::vector<std::unique_ptr<Connection>> connections_;
};

}  // namespace streamgate::sim
