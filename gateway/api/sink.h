// Sink: where one module's records go (Kinesis, file, stdout). Each sink type
// lives in its own folder under sinks/ with a factory (config.cc) that
// validates its YAML section and builds the sink; the server registers every
// built-in factory in one list (gateway/server/builtin.cc).
//
// Delivery has one path: Deliver(batch, done). `done` runs exactly once per
// batch with a DeliveryReport once every record of it is settled (stored,
// or dead-lettered), or once the sink closed with some left undelivered.
// The module counts deliveries from these reports alone, so metrics and the
// Admin view read one source.
//
// Threading: the module's worker thread calls Start, Deliver, Flush and
// Close (Close once, after the last Flush). Deliver may block while the sink
// is saturated, which pushes back onto the module's bounded queue. `done`
// may run on any thread, but always before Close returns.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/api/record.h"

namespace spdlog {
class logger;
}

namespace streamgate {

class ConfigReader;    // gateway/api/config_reader.h
class DeadLetterFile;  // gateway/common/dead_letter_file.h
namespace metrics {
class MetricsWriter;   // gateway/api/metrics_writer.h
}

// What became of one batch. delivered + dead_lettered + undelivered is the
// batch's size.
struct DeliveryReport {
  uint64_t delivered = 0;      // stored at the destination
  uint64_t dead_lettered = 0;  // given up: written to a dead-letter file, or
                               // logged as lost when no line could be written
  uint64_t undelivered = 0;    // still unsettled when the sink closed
  uint64_t retries = 0;        // extra attempts the batch's records needed
};

using DeliveryDone = absl::AnyInvocable<void(const DeliveryReport&) &&>;

class Sink {
 public:
  virtual ~Sink() = default;

  // Opens files, connections, threads. Called once before the first Deliver.
  virtual absl::Status Start() = 0;

  // Takes ownership of the batch; calls `done` once it has settled. Every
  // record ends delivered or dead-lettered; a sink never drops one silently.
  // At Close, records still undelivered are dead-lettered when the module's
  // queue is in memory, and reported `undelivered` (so the spool keeps and
  // replays them) when it is durable (SinkContext::durable_queue).
  virtual void Deliver(OutBatch batch, DeliveryDone done) = 0;

  // Delivers everything handed over so far, waiting at most until
  // `deadline`. Returns DEADLINE_EXCEEDED naming how many records were left.
  virtual absl::Status Flush(absl::Time deadline) = 0;

  // Releases resources; settles (see Deliver) whatever is left. No Deliver
  // after Close.
  virtual void Close() = 0;

  // Adds the sink's own metrics (requests, retries, latency...) to `out`
  // when /metrics is scraped, from the scrape thread, without the module
  // label (the module adds it). Delivered and dead-lettered counts are the
  // module's (from the reports), not the sink's. The default reports nothing.
  virtual void CollectMetrics(metrics::MetricsWriter& out) const {}
};

// What a factory needs besides the sink's own YAML section.
struct SinkContext {
  std::string module_id;
  // True when the module's queue is a spool (see Sink::Deliver).
  bool durable_queue = false;
  // The gateway-wide dead-letter file (`dead_letter:`), or null. Sinks
  // without a dead-letter file of their own write given-up records here.
  DeadLetterFile* dead_letters = nullptr;
  // The module's logger: its lines carry the module's name and feed the
  // module's recent-log ring (Admin GetModuleLog). Never null once built by
  // the gateway; must outlive the sink.
  std::shared_ptr<spdlog::logger> logger;
};

class SinkFactory {
 public:
  virtual ~SinkFactory() = default;

  // The `sink.type` value this factory handles.
  virtual std::string type() const = 0;

  // Validates `config` (the module's `sink` map, whose path is "sink") and
  // builds a sink without touching files or the network (that is Start's
  // job), so --check-config can call it. Errors name the field, e.g.
  // "sink.path (line 7): must be set".
  virtual absl::StatusOr<std::unique_ptr<Sink>> Create(
      const ConfigReader& config, const SinkContext& context) const = 0;
};

}  // namespace streamgate
