#include "gateway/spool/log_reader.h"

#include <algorithm>
#include <string>
#include <utility>

namespace streamgate {
namespace spool {

bool LogReader::Open(uint64_t seq) {
  if (file_ != nullptr && seq_ == seq) return true;
  frames_.reset();
  file_.reset();
  auto file = context_.env->NewReadableFile(context_.SegmentPath(seq));
  if (!file.ok()) {
    context_.log().error("{}: cannot open {} to read: {}", context_.log_where,
                         context_.SegmentPath(seq), file.status().message());
    return false;
  }
  file_ = std::move(*file);
  frames_ = std::make_unique<FrameReader>(file_.get(), /*end=*/0);
  seq_ = seq;
  return true;
}

void LogReader::Release(uint64_t seq) {
  if (file_ == nullptr || seq_ != seq) return;
  frames_.reset();
  file_.reset();
}

uint64_t LogReader::Read(uint64_t from, uint64_t end,
                         const std::vector<Region>& known,
                         const std::vector<Region>& skip, size_t max_records,
                         uint64_t max_bytes, OutBatch& out) {
  // Appended bytes never change; a segment being written only grows.
  frames_->set_end(end);
  uint64_t off = from;
  uint64_t batch_bytes = 0;
  auto skipped = std::lower_bound(
      skip.begin(), skip.end(), from,
      [](const Region& r, uint64_t at) { return r.begin < at; });
  while (off < end && out.size() < max_records && batch_bytes < max_bytes) {
    if (skipped != skip.end() && skipped->begin == off) {
      off = std::min(end, skipped->end);
      ++skipped;
      continue;
    }
    FrameView f;
    auto r = frames_->ReadAt(off, &f);
    if (!r.ok()) {
      context_.log().error("{}: reading {}: {}", context_.log_where,
                           context_.SegmentPath(seq_), r.status().message());
      break;
    }
    if (*r == FrameParse::kOk) {
      out.push_back(OutRecord{std::make_shared<const std::string>(f.data),
                              std::string(f.key)});
      batch_bytes += f.size;
      off += f.size;
      continue;
    }
    auto next = frames_->Resync(off);
    if (!next.ok()) {
      context_.log().error("{}: reading {}: {}", context_.log_where,
                           context_.SegmentPath(seq_), next.status().message());
      break;
    }
    const bool reported =
        std::any_of(known.begin(), known.end(),
                    [&](const Region& d) { return d.begin == off; });
    if (!reported) {
      context_.log().error("{}: {} bytes {}..{} are damaged; skipped",
                           context_.log_where, context_.SegmentPath(seq_), off,
                           *next);
      context_.stats.damaged_regions.fetch_add(1);
      context_.stats.damaged_bytes.fetch_add(*next - off);
    }
    off = *next;
  }
  return off;
}

}  // namespace spool
}  // namespace streamgate
