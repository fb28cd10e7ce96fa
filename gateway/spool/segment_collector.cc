#include "gateway/spool/segment_collector.h"

#include <string>

namespace streamgate {
namespace spool {

void SegmentCollector::Collect(const std::vector<uint64_t>& finished,
                               const absl::optional<Position>& watermark) {
  if (watermark && *watermark != checkpointed_) {
    absl::Status st = WriteCheckpoint(*context_.env, context_.dir, *watermark,
                                      context_.file_mode);
    uint64_t held_back = 0;
    if (st.ok()) {
      checkpointed_ = *watermark;
    } else if (checkpoint_log_.Allow("checkpoint", now_(), held_back)) {
      // A full disk fails it every ~100 ms: one line per interval.
      if (held_back > 0) {
        context_.log().error(
            "{}: checkpoint: {} ({} more failures since the "
            "last line)",
            context_.log_where, st.message(), held_back);
      } else {
        context_.log().error("{}: checkpoint: {}", context_.log_where,
                             st.message());
      }
    }
  }
  // Either order is safe: a restart whose checkpoint points into a deleted
  // segment starts at the oldest segment left, all of it undelivered.
  for (uint64_t seq : finished) {
    const std::string path = context_.SegmentPath(seq);
    absl::Status st = context_.env->Remove(path);
    if (st.ok()) {
      context_.stats.segments_deleted.fetch_add(1, std::memory_order_relaxed);
    } else if (!absl::IsNotFound(st)) {
      context_.log().error("{}: cannot delete {}: {}", context_.log_where, path,
                           st.message());
    }
  }
}

}  // namespace spool
}  // namespace streamgate
