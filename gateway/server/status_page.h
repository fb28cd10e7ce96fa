// The status page on the metrics port: one self-contained HTML page (inline
// CSS and JavaScript, no external assets) that polls /status.json every two
// seconds and shows each module's rates, queue depth, counts, state and
// last error, and the inputs' state; and the JSON document it reads, built
// from the same GatewayStatus the Admin service serves.
//
// Threading: pure functions over values; call from any thread.
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gateway/api/gateway_status.h"

namespace streamgate {

// One input (gRPC server, MQTT client) as the status page shows it.
struct InputStatus {
  std::string name;     // "grpc", "mqtt"
  std::string address;  // "127.0.0.1:50051", "broker 127.0.0.1:1883"
  std::string detail;   // "tls, api keys", "topics /devices/+/..."
  std::string state;    // "serving", "connected", "disconnected", "stopped"
};

// A module and where its sink writes ("file /var/.../x.jsonl").
struct ModuleView {
  ModuleStatus status;
  std::string target;
};

struct StatusSnapshot {
  std::string version;
  absl::Time now;
  absl::Time started;
  bool ready = false;
  std::vector<ModuleView> modules;
  std::vector<InputStatus> inputs;
};

// The page (constant).
const std::string& StatusPageHtml();

// {"version", "time", "uptime_s", "ready", "modules": [{id, description,
// sink, target, state, subscribe_events, bulk_data_label, accepted,
// delivered, dead_lettered, retried, rejected_full, queue_depth, errors,
// last_error: {time, level, message} | null}], "inputs": [{name, address,
// detail, state}]}. Strings that are not valid UTF-8 get U+FFFD for each bad
// byte, so the document always parses.
std::string RenderStatusJson(const StatusSnapshot& snapshot);

}  // namespace streamgate
