// Adapter: one input transport (gRPC server, MQTT client). An adapter only
// translates its transport into Ingest calls; it owns its threads.
//
// Threading: Start and Stop are called from the main thread only.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace streamgate {

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

  // Finishes in-flight calls and releases the transport by `deadline`.
  virtual void Shutdown(absl::Time deadline) = 0;

  // SIGHUP: re-read what can change without a restart (certificates, ...).
  virtual void Reload() {}

  // Adds the adapter's metrics (messages received, rejected by reason,
  // connection state) to `out` when /metrics is scraped, from the scrape
  // thread. The default reports nothing.
  virtual void CollectMetrics(metrics::MetricsWriter& out) const {}
};

}  // namespace streamgate
