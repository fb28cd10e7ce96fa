#include "gateway/spool/segment_list.h"

#include "absl/strings/numbers.h"

namespace streamgate {
namespace spool {

bool ParseSegmentName(absl::string_view name, uint64_t* seq) {
  if (name.size() != 4 + 20 + 4 || name.substr(0, 4) != "seg-" ||
      name.substr(24) != ".log") {
    return false;
  }
  return absl::SimpleAtoi(name.substr(4, 20), seq);
}

SegmentInfo* SegmentList::Find(uint64_t seq) {
  for (SegmentInfo& s : segments_) {
    if (s.seq == seq) return &s;
  }
  return nullptr;
}

const SegmentInfo* SegmentList::Find(uint64_t seq) const {
  for (const SegmentInfo& s : segments_) {
    if (s.seq == seq) return &s;
  }
  return nullptr;
}

const SegmentInfo* SegmentList::After(uint64_t seq) const {
  for (const SegmentInfo& s : segments_) {
    if (s.seq > seq) return &s;
  }
  return nullptr;
}

void SegmentList::Advance(Position& read) const {
  while (true) {
    const SegmentInfo* s = Find(read.segment);
    // A segment still being written, or one with bytes left: stay.
    if (s != nullptr && (!s->sealed || read.offset < s->size)) return;
    // Deleted, skipped or read to its end: on to the next one there is.
    const SegmentInfo* next = After(read.segment);
    if (next == nullptr) return;
    read = Position{next->seq, kSegmentHeaderBytes};
  }
}

bool SegmentList::HasUnread(const Position& read) const {
  const SegmentInfo* s = Find(read.segment);
  return s != nullptr && read.offset < s->size;
}

void SegmentList::PopFinished(const Position& watermark, const Position& read,
                              std::vector<uint64_t>& finished) {
  while (!segments_.empty()) {
    const SegmentInfo& s = segments_.front();
    const bool settled =
        s.seq < watermark.segment ||
        (s.seq == watermark.segment && watermark.offset >= s.size);
    if (!s.sealed || !settled || read.segment <= s.seq) return;
    finished.push_back(s.seq);
    segments_.pop_front();
  }
}

}  // namespace spool
}  // namespace streamgate
