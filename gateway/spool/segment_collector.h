// SegmentCollector: the spool's garbage collection. Deletes the segment
// files whose every record is settled and records the delivered watermark
// in the checkpoint, so a restart neither keeps nor replays what was
// delivered (beyond what settled since the last checkpoint: at-least-once).
//
// A checkpoint that cannot be written (a full disk) is retried at every
// round; its error is logged at most once per interval (10 s), with the
// count of failures since the last line.
//
// Threading: one thread at a time — the SpoolQueue's maintenance thread,
// and at a clean stop the destructor after that thread ended. It takes its
// work as arguments, so it runs without the queue's lock.
#pragma once

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "gateway/common/log_limiter.h"
#include "gateway/spool/checkpoint.h"
#include "gateway/spool/spool_context.h"

namespace streamgate {
namespace spool {

inline constexpr absl::Duration kCheckpointLogEvery = absl::Seconds(10);

class SegmentCollector {
 public:
  // `now` is the clock the log interval is measured on.
  explicit SegmentCollector(const SpoolContext& context,
                            std::function<absl::Time()> now = absl::Now)
      : context_(context), now_(std::move(now)) {}

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
  const std::function<absl::Time()> now_;
  Position checkpointed_;
  kinesis::LogLimiter checkpoint_log_{kCheckpointLogEvery};
};

}  // namespace spool
}  // namespace streamgate
