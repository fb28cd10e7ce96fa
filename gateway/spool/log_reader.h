// LogReader: the read side of a spool (cf. LevelDB's log::Reader). Reads
// the records of one segment at a time back from disk, oldest first,
// through a bounded window, and steps over damaged bytes: a region recovery
// already reported is skipped quietly, one found now is logged and counted.
//
// Threading: owned by the SpoolQueue. Open and Release run under the
// queue's lock; Read runs on the consumer thread with the lock released,
// only on the segment the reader stands in — which therefore cannot be
// released (deleted) meanwhile: a segment goes only once the reader has
// moved past it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "gateway/api/record.h"
#include "gateway/spool/segment_format.h"
#include "gateway/spool/spool_context.h"
#include "gateway/spool/spool_env.h"

namespace streamgate {
namespace spool {

class LogReader {
 public:
  explicit LogReader(const SpoolContext& context) : context_(context) {}

  // Makes segment `seq` the one read (opening its file unless it is open
  // already). False, logged, when it cannot be opened.
  bool Open(uint64_t seq);

  // Closes segment `seq`'s file if it is the open one: the segment is being
  // deleted, and its space comes back only once no descriptor is left.
  void Release(uint64_t seq);

  // Reads the frames of the open segment from `from` up to `end` into
  // `out`, at most `max_records` records and about `max_bytes` bytes (one
  // larger record still goes). `known` lists the damaged regions recovery
  // has reported; the frames in `skip` (aborted inputs) are stepped over.
  // Returns the offset reached: `from` when nothing could be read (an I/O
  // error, logged).
  uint64_t Read(uint64_t from, uint64_t end, const std::vector<Region>& known,
                const std::vector<Region>& skip, size_t max_records,
                uint64_t max_bytes, OutBatch& out);

 private:
  const SpoolContext& context_;
  uint64_t seq_ = 0;
  std::unique_ptr<ReadableFile> file_;
  std::unique_ptr<FrameReader> frames_;
};

}  // namespace spool
}  // namespace streamgate
