#include "gateway/spool/recovery.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/common/status_macros.h"
#include "gateway/spool/segment_format.h"

namespace streamgate {
namespace spool {

absl::Status Recovery::Error(absl::string_view what,
                             const absl::Status& cause) const {
  return absl::FailedPreconditionError(
      absl::StrCat(context_.where, ": ", what, ": ", cause.message()));
}

absl::StatusOr<RecoveredSpool> Recovery::Run() {
  auto names = context_.env->ListDir(context_.dir);
  if (!names.ok()) return Error("cannot list the directory", names.status());
  std::vector<uint64_t> seqs;
  for (const std::string& name : *names) {
    uint64_t seq;
    if (ParseSegmentName(name, &seq)) seqs.push_back(seq);
  }
  std::sort(seqs.begin(), seqs.end());
  auto read_checkpoint = ReadCheckpoint(*context_.env, context_.dir);
  if (!read_checkpoint.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        context_.where, ": cannot read ", read_checkpoint.status().message()));
  }
  const absl::optional<Position> checkpoint = *read_checkpoint;
  uint64_t max_seq = checkpoint ? checkpoint->segment : 0;
  RecoveredSpool out;
  for (uint64_t seq : seqs) {
    max_seq = std::max(max_seq, seq);
    if (checkpoint && seq < checkpoint->segment) {
      // Delivered before the checkpoint was written.
      context_.env->Remove(context_.SegmentPath(seq)).IgnoreError();
      continue;
    }
    RETURN_IF_ERROR(RecoverSegment(seq, checkpoint, out));
  }
  out.next_seq = max_seq + 1;
  return out;
}

absl::Status Recovery::RecoverSegment(
    uint64_t seq, const absl::optional<Position>& checkpoint,
    RecoveredSpool& out) {
  SpoolEnv& env = *context_.env;
  SpoolStats& stats = context_.stats;
  spdlog::logger& log = context_.log();
  const std::string path = context_.SegmentPath(seq);
  auto file = env.NewReadableFile(path);
  if (!file.ok())
    return Error(absl::StrCat("cannot open ", path), file.status());
  auto file_size = (*file)->Size();
  if (!file_size.ok()) {
    return Error(absl::StrCat("cannot stat ", path), file_size.status());
  }
  const uint64_t size = *file_size;
  char header[kSegmentHeaderBytes] = {};
  bool header_ok = false;
  if (size >= kSegmentHeaderBytes) {
    auto n = (*file)->Read(0, kSegmentHeaderBytes, header);
    header_ok = n.ok() && *n == kSegmentHeaderBytes &&
                std::memcmp(header, kSegmentHeader, kSegmentHeaderBytes) == 0;
  }
  if (!header_ok) {
    file->reset();
    if (size < kSegmentHeaderBytes) {
      // Created but never written: a crash during rotation.
      log.warn("{}: removing {} (torn header, {} bytes)", context_.log_where,
               path, size);
      stats.torn_tails_cut.fetch_add(1);
      stats.torn_bytes_cut.fetch_add(size);
      env.Remove(path).IgnoreError();
    } else {
      log.error("{}: {} is not a spool segment; renamed to .bad and skipped",
                context_.log_where, path);
      stats.damaged_regions.fetch_add(1);
      stats.damaged_bytes.fetch_add(size);
      env.Rename(path, path + ".bad").IgnoreError();
    }
    return absl::OkStatus();
  }
  uint64_t from = kSegmentHeaderBytes;
  if (checkpoint && seq == checkpoint->segment) {
    from = std::min(std::max(checkpoint->offset, from), size);
  }
  auto scan = ScanSegment(**file, from, size);
  if (!scan.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        context_.where, ": reading ", path, ": ", scan.status().message()));
  }
  for (const Region& r : scan->damaged) {
    log.error(
        "{}: {} bytes {}..{} are damaged; skipped (records there are "
        "lost)",
        context_.log_where, path, r.begin, r.end);
    stats.damaged_regions.fetch_add(1);
    stats.damaged_bytes.fetch_add(r.end - r.begin);
  }
  if (scan->torn_bytes > 0) {
    auto writable = env.NewWritableFile(path, SpoolEnv::OpenMode::kExisting,
                                        context_.file_mode);
    absl::Status cut = writable.ok() ? (*writable)->Truncate(scan->valid_end)
                                     : writable.status();
    if (!cut.ok()) {
      return Error(absl::StrCat("cannot cut the torn tail of ", path), cut);
    }
    log.warn("{}: cut a torn tail of {} bytes from {} at offset {}",
             context_.log_where, scan->torn_bytes, path, scan->valid_end);
    stats.torn_tails_cut.fetch_add(1);
    stats.torn_bytes_cut.fetch_add(scan->torn_bytes);
  }
  SegmentInfo segment;
  segment.seq = seq;
  segment.size = scan->valid_end;
  segment.sealed = true;
  segment.damage = std::move(scan->damaged);
  if (!out.start) out.start = Position{seq, from};
  out.records += scan->records;
  out.bytes += scan->valid_end - from;
  out.segments.push_back(std::move(segment));
  return absl::OkStatus();
}

}  // namespace spool
}  // namespace streamgate
