// Sink: where one module's records go (Kinesis, file, stdout). Each sink type
// lives in its own folder with a factory (config.cc) that validates its YAML
// section and builds the sink; RegisterBuiltinSinks() lists them all.
//
// Threading: one module worker thread calls Start, Write and Flush; Write may
// block while the sink is saturated, which pushes back onto the module's
// bounded queue. Close is called once, after the last Flush.
#pragma once

#include <memory>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/api/record.h"

namespace YAML {
class Node;
}

namespace streamgate {

namespace metrics {
class MetricsWriter;  // gateway/api/metrics_writer.h
}
class DeadLetterFile;  // gateway/common/dead_letter_file.h

class Sink {
 public:
  virtual ~Sink() = default;

  // Opens files, connections, threads. Called once before the first Write.
  virtual absl::Status Start() = 0;

  // Takes ownership of the batch. Every record ends delivered or
  // dead-lettered; a sink never drops one silently.
  virtual void Write(OutBatch batch) = 0;

  // Called at most once, from any thread, when every record of a batch is
  // delivered or dead-lettered (a durable queue then frees its storage).
  // Never called for a batch left undelivered at Close when the queue is
  // durable (SinkContext::durable_queue); it is then destroyed uncalled.
  using BatchDone = absl::AnyInvocable<void() &&>;

  // Write, then `done` once the batch has settled; what the module worker
  // calls. The default suits sinks whose Write finishes the batch before
  // returning (file, stdout); asynchronous sinks (Kinesis) override it to
  // call `done` when the last record of the batch settles.
  virtual void Deliver(OutBatch batch, BatchDone done) {
    Write(std::move(batch));
    std::move(done)();
  }

  // Delivers everything written so far, waiting at most until `deadline`.
  // Returns DEADLINE_EXCEEDED naming how many records were left.
  virtual absl::Status Flush(absl::Time deadline) = 0;

  // Releases resources. No Write after Close.
  virtual void Close() = 0;

  // Adds the sink's own metrics (requests, retries, latency...) to `out`
  // when /metrics is scraped, from the scrape thread, without the module
  // label (the gateway adds it). The default reports nothing.
  virtual void CollectMetrics(metrics::MetricsWriter& out) const {}

  // True when CollectMetrics reports streamgate_module_records_delivered_total
  // and _dead_lettered_total itself. Otherwise the gateway counts every
  // record of a settled batch as delivered (right for sinks whose Write
  // finishes the batch: file, stdout).
  virtual bool ReportsDelivery() const { return false; }
};

// What a factory needs besides the sink's own YAML section.
struct SinkContext {
  std::string module_id;
  // True when the module's queue is a spool. A sink closed with records
  // still undelivered then leaves their batches unsettled (their `done`
  // never runs) instead of dead-lettering them: the spool keeps them and
  // replays them on the next start.
  bool durable_queue = false;
  // The gateway-wide dead-letter file (`dead_letter:`), or null. Sinks
  // without a dead-letter file of their own write given-up records here.
  DeadLetterFile* dead_letters = nullptr;
};

class SinkFactory {
 public:
  virtual ~SinkFactory() = default;

  // The `sink.type` value this factory handles.
  virtual std::string type() const = 0;

  // Validates `config` (the module's `sink` map) and builds a sink without
  // touching files or the network (that is Start's job), so --check-config
  // can call it. Errors name the field, e.g. "sink.path: must be set".
  virtual absl::StatusOr<std::unique_ptr<Sink>> Create(
      const YAML::Node& config, const SinkContext& context) const = 0;
};

}  // namespace streamgate
