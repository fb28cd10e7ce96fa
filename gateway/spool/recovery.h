// Recovery: what a spool finds on disk at Start, before it writes anything.
// Lists the segment files, reads the checkpoint (segments wholly before it
// were delivered: removed), and scans every remaining segment from where
// delivery stopped: a torn tail (a partial frame or garbage with no valid
// frame after it, as a crash mid-write leaves) is cut; a damaged region
// followed by valid frames is skipped and remembered, so reading it later
// does not report it twice; a file without a segment header is set aside
// (renamed .bad) or, when shorter than a header, removed. All of it is
// counted and logged, never fatal; only I/O errors fail Start.
//
// Threading: runs once, on the thread that calls SpoolQueue::Start.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/optional.h"
#include "gateway/spool/checkpoint.h"
#include "gateway/spool/segment_list.h"
#include "gateway/spool/spool_context.h"

namespace streamgate {
namespace spool {

struct RecoveredSpool {
  SegmentList segments;  // the segments kept, all sealed, oldest first
  // Where reading, and the delivered watermark, start; unset when no
  // segment was kept (the first new segment's start then).
  absl::optional<Position> start;
  uint64_t records = 0;   // undelivered records to replay
  uint64_t bytes = 0;     // their bytes on disk
  uint64_t next_seq = 1;  // the first segment number this run may use
};

class Recovery {
 public:
  explicit Recovery(const SpoolContext& context) : context_(context) {}

  // Errors read "<where>: <what went wrong>"; the caller fails Start.
  absl::StatusOr<RecoveredSpool> Run();

 private:
  // Scans segment `seq` from `from` (the checkpoint's offset in its
  // segment, else just after the header) and adds what it keeps to `out`.
  absl::Status RecoverSegment(uint64_t seq,
                              const absl::optional<Position>& checkpoint,
                              RecoveredSpool& out);

  absl::Status Error(absl::string_view what, const absl::Status& cause) const;

  const SpoolContext& context_;
};

}  // namespace spool
}  // namespace streamgate
