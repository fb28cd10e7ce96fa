// Adapter: one input transport (gRPC server, MQTT client). An adapter only
// translates its transport into Ingest calls; it owns its threads. Each
// adapter type has an AdapterFactory that owns its top-level config
// sections (gRPC: `grpc`, `api_keys`; MQTT: `mqtt`); the server registers
// every built-in factory in one list (gateway/server/builtin.cc).
//
// Threading: Start, StopAccepting, Shutdown and Reload are called from the
// main thread only; CollectMetrics from the scrape thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace streamgate {

class ConfigReader;   // gateway/api/config_reader.h
class DoorRejects;    // gateway/api/rejects.h
class GatewayStatus;  // gateway/api/gateway_status.h
class Ingest;         // gateway/api/ingest.h
namespace metrics {
class MetricsWriter;  // gateway/api/metrics_writer.h
}

class Adapter {
 public:
  virtual ~Adapter() = default;
  virtual std::string name() const = 0;

  // Begins taking input. Errors (port in use, broker refused) are fatal at
  // start-up.
  virtual absl::Status Start() = 0;

  // First step of shutdown: stop taking new input (gRPC: health NOT_SERVING,
  // new calls UNAVAILABLE; MQTT: stop reading). Must not block long.
  virtual void StopAccepting() = 0;

  // How long the gateway should keep answering "unavailable" after
  // StopAccepting before Shutdown, so balancers and clients move away
  // cleanly (gRPC: grpc.drain_grace_ms). The gateway waits the longest.
  virtual absl::Duration DrainGrace() const { return absl::ZeroDuration(); }

  // Finishes in-flight calls and releases the transport by `deadline`.
  virtual void Shutdown(absl::Time deadline) = 0;

  // SIGHUP: re-read what can change without a restart (certificates, ...).
  virtual void Reload() {}

  // Adds the adapter's metrics (messages received, rejected by reason,
  // connection state) to `out` when /metrics is scraped. The default
  // reports nothing.
  virtual void CollectMetrics(metrics::MetricsWriter& out) const {}
};

// What the gateway lends an adapter; everything outlives the adapter.
struct AdapterContext {
  Ingest& ingest;             // where inputs go
  DoorRejects& rejects;       // inputs refused before or by Ingest
  const GatewayStatus& status;  // modules, counters and logs (Admin service)
};

class AdapterFactory {
 public:
  virtual ~AdapterFactory() = default;

  // "grpc", "mqtt".
  virtual std::string name() const = 0;

  // The top-level config keys this adapter owns; the core config refuses
  // any top-level key that neither it nor an adapter owns.
  virtual std::vector<std::string> sections() const = 0;

  // Validates this adapter's sections of `root` (the whole document) and
  // builds the adapter without touching the network (that is Start's job),
  // so --check-config can call it. Returns nullptr when the config does not
  // enable this adapter (MQTT without an `mqtt` section).
  virtual absl::StatusOr<std::unique_ptr<Adapter>> Create(
      const ConfigReader& root, const AdapterContext& context) const = 0;
};

}  // namespace streamgate
