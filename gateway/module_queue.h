// ModuleQueue: the bounded buffer between ingest and one module's sink.
// "Accepted" means "the queue took it"; the client's ack follows from that
// alone. Producers reserve capacity first and commit after every module of an
// input has reserved, so an input is queued everywhere or nowhere. A disk
// spool will be a second implementation of this interface.
//
// Threading: any number of producers (ingest threads), one consumer (the
// module's worker thread).
#pragma once

#include <cstddef>

#include "absl/time/time.h"
#include "gateway/record.h"

namespace streamgate {

class ModuleQueue {
 public:
  virtual ~ModuleQueue() = default;

  // Reserves room for `records` records of `bytes` bytes in total; false
  // when the queue is full or closed.
  virtual bool TryReserve(size_t records, size_t bytes) = 0;
  // Queues records whose room was reserved with the same totals.
  virtual void Commit(OutBatch records, size_t bytes) = 0;
  // Gives back a reservation that will not be committed.
  virtual void Cancel(size_t records, size_t bytes) = 0;

  // Moves up to `max_records` queued records into `out` (cleared first),
  // waiting up to `wait` for the first one. Returns false once the queue is
  // closed and empty.
  virtual bool Pop(OutBatch& out, size_t max_records, absl::Duration wait) = 0;

  // Refuses further reservations; Pop drains what is left, then ends.
  virtual void Close() = 0;

  virtual size_t depth() const = 0;
};

}  // namespace streamgate
