// ModuleQueue: the bounded buffer between ingest and one module's sink.
// "Accepted" means "the queue took it"; the client's ack follows from that
// alone. Producers reserve capacity first and commit after every module of an
// input has reserved, so an input is queued everywhere or nowhere. Two
// implementations: MemoryQueue (memory only) and SpoolQueue (gateway/spool/,
// durable on disk; its commit can fail and its batches are released only
// when the sink has settled them).
//
// Threading: any number of producers (ingest threads), one consumer (the
// module's worker thread). A batch's done callback may run on any thread.
#pragma once

#include <cstddef>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gateway/api/record.h"

namespace streamgate {

namespace metrics {
class MetricsWriter;  // gateway/api/metrics_writer.h
}

// What PopBatch hands out: records, and the callback to run exactly once
// when every one of them is delivered or dead-lettered (Sink::Deliver's
// `done`), which lets a durable queue free their storage. It must run before
// the queue is destroyed.
struct QueueBatch {
  OutBatch records;
  absl::AnyInvocable<void() &&> done;
};

class ModuleQueue {
 public:
  virtual ~ModuleQueue() = default;

  // Opens what the queue needs (a spool's directory and files, replaying
  // what a previous run left). Called once, before the first TryReserve.
  virtual absl::Status Start() { return absl::OkStatus(); }

  // Reserves room for `records` records of `bytes` bytes in total; false
  // when the queue is full or closed.
  virtual bool TryReserve(size_t records, size_t bytes) = 0;
  // Queues records whose room was reserved with the same totals.
  virtual void Commit(OutBatch records, size_t bytes) = 0;
  // Commit that can fail (a spool's write or fsync failed): on error the
  // reservation is released and the caller must not acknowledge the input.
  // OK means the records are queued (for a spool: written, and synced when
  // its fsync policy says so).
  virtual absl::Status TryCommit(OutBatch records, size_t bytes) {
    Commit(std::move(records), bytes);
    return absl::OkStatus();
  }
  // Gives back a reservation that will not be committed.
  virtual void Cancel(size_t records, size_t bytes) = 0;

  // Moves up to `max_records` queued records into `out` (cleared first),
  // waiting up to `wait` for the first one. Returns false once the queue is
  // closed and empty. Popped records count as delivered.
  virtual bool Pop(OutBatch& out, size_t max_records, absl::Duration wait) = 0;

  // Pop with a completion: the records stay accounted for (and, in a spool,
  // on disk) until `out.done` runs. `out.done` is always set when this
  // returns true, even for an empty batch.
  virtual bool PopBatch(QueueBatch& out, size_t max_records,
                        absl::Duration wait) {
    out.done = [] {};
    return Pop(out.records, max_records, wait);
  }

  // Refuses further reservations; Pop drains what is left, then ends. A
  // durable queue ends at once: what is left stays for the next start.
  virtual void Close() = 0;

  // Records queued and not yet popped.
  virtual size_t depth() const = 0;

  // True when queued records survive a restart.
  virtual bool durable() const { return false; }

  // Adds the queue's own metrics (a spool's size, fsyncs, recoveries) when
  // /metrics is scraped, from the scrape thread, without the module label.
  virtual void CollectMetrics(metrics::MetricsWriter& out) const {}
};

}  // namespace streamgate
