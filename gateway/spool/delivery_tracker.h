// DeliveryTracker: the batches a spool has handed out and not yet settled,
// in the order they were popped, and the delivered watermark — the reader
// position after the last batch of the settled prefix. Batches may settle in
// any order; the watermark moves only over a settled prefix, so everything
// before it is delivered (what the checkpoint records and what lets a
// segment go). A batch that never settles (its report had undelivered
// records, or its completion never ran) holds the watermark for the rest of
// the run, and the next start replays from there.
//
// Threading: none; the SpoolQueue guards it with its lock.
#pragma once

#include <cstdint>
#include <deque>

#include "gateway/spool/checkpoint.h"

namespace streamgate {
namespace spool {

class DeliveryTracker {
 public:
  // Nothing in flight; the watermark at `start`.
  void Reset(const Position& start) {
    inflight_.clear();
    watermark_ = start;
  }

  // A batch popped: the reader went over `bytes` bytes to `end`. Returns the
  // batch's id for Settle.
  uint64_t Add(const Position& end, uint64_t bytes);

  // Marks the batch settled. Unknown ids (already settled) are ignored.
  void Settle(uint64_t id);

  // Moves the watermark over the settled batches at the front; returns the
  // bytes they held.
  uint64_t Advance();

  const Position& watermark() const { return watermark_; }

 private:
  struct Batch {
    uint64_t id = 0;
    Position end;        // reader position after the batch
    uint64_t bytes = 0;  // disk bytes the batch moved the reader over
    bool settled = false;
  };

  std::deque<Batch> inflight_;
  uint64_t next_id_ = 1;
  Position watermark_;
};

}  // namespace spool
}  // namespace streamgate
