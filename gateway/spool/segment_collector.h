// SegmentCollector: the spool's garbage collection. Deletes the segment
// files whose every record is settled and records the delivered watermark
// in the checkpoint, so a restart neither keeps nor replays what was
// delivered (beyond what settled since the last checkpoint: at-least-once).
//
// Threading: one thread at a time — the SpoolQueue's maintenance thread,
// and at a clean stop the destructor after that thread ended. It takes its
// work as arguments, so it runs without the queue's lock.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/types/optional.h"
#include "gateway/spool/checkpoint.h"
#include "gateway/spool/spool_context.h"

namespace streamgate {
namespace spool {

class SegmentCollector {
 public:
  explicit SegmentCollector(const SpoolContext& context) : context_(context) {}

  // The position the checkpoint on disk holds (or recovery started from).
  void set_checkpointed(const Position& position) { checkpointed_ = position; }

  // Rewrites the checkpoint at `watermark` when given and moved, then
  // deletes the segments numbered in `finished`. Errors are logged; a
  // segment left behind is deleted at the next start (it lies before the
  // checkpoint) or replayed, never lost.
  void Collect(const std::vector<uint64_t>& finished,
               const absl::optional<Position>& watermark);

 private:
  const SpoolContext& context_;
  Position checkpointed_;
};

}  // namespace spool
}  // namespace streamgate
