// SegmentList: the spool's in-memory index of its segment files, oldest
// first — each one's number, valid size, whether it is sealed (no more
// appends; only the newest may be open) and the damaged regions recovery
// found in it. It answers where the reader goes next and which segments are
// finished (every record settled and the reader past them), so they can be
// deleted.
//
// Threading: none; the SpoolQueue guards it with its lock.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "absl/strings/string_view.h"
#include "gateway/spool/checkpoint.h"
#include "gateway/spool/segment_format.h"

namespace streamgate {
namespace spool {

struct SegmentInfo {
  uint64_t seq = 0;
  uint64_t size = 0;  // bytes of valid data, header included
  bool sealed = false;
  std::vector<Region> damage;  // known from recovery
  // Frames of inputs prepared and then aborted (another module could not
  // store the input), in order: the reader steps over them. Not on disk: a
  // restart replays them (at-least-once, as for a crash before the answer).
  std::vector<Region> aborted;
};

// Parses a segment file name, "seg-<20 digits>.log".
bool ParseSegmentName(absl::string_view name, uint64_t* seq);

class SegmentList {
 public:
  bool empty() const { return segments_.empty(); }
  size_t size() const { return segments_.size(); }
  SegmentInfo& back() { return segments_.back(); }
  const SegmentInfo& back() const { return segments_.back(); }
  void push_back(SegmentInfo s) { segments_.push_back(std::move(s)); }

  // The segment numbered `seq`, or null.
  SegmentInfo* Find(uint64_t seq);
  const SegmentInfo* Find(uint64_t seq) const;

  // Moves `read` off segments that are gone and past sealed segments it has
  // read to the end, to the start of the next segment there is.
  void Advance(Position& read) const;

  // True when there are bytes to read at `read` (call Advance first).
  bool HasUnread(const Position& read) const;

  // Removes from the front the sealed segments whose every record is
  // settled (`watermark` at or past their end) and that the reader has left
  // (`read` in a later segment), appending their numbers to `finished`.
  void PopFinished(const Position& watermark, const Position& read,
                   std::vector<uint64_t>& finished);

 private:
  // The first segment numbered after `seq`, or null.
  const SegmentInfo* After(uint64_t seq) const;

  std::deque<SegmentInfo> segments_;
};

}  // namespace spool
}  // namespace streamgate
