#include "gateway/spool/log_writer.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/common/status_macros.h"
#include "gateway/spool/segment_format.h"

namespace streamgate {
namespace spool {

LogWriter::LogWriter(const SpoolContext& context, absl::Mutex& mu,
                     SegmentList& segments, uint64_t segment_bytes)
    : context_(context),
      mu_(mu),
      segments_(segments),
      segment_bytes_(segment_bytes) {}

absl::Status LogWriter::IoError(const absl::Status& cause,
                                absl::string_view what, uint64_t seq) const {
  const std::string message =
      absl::StrCat(context_.where, ": ", what, " ", context_.SegmentPath(seq),
                   ": ", cause.message());
  if (cause.code() == absl::StatusCode::kResourceExhausted) {
    return absl::ResourceExhaustedError(message);
  }
  return absl::UnavailableError(message);
}

absl::Status LogWriter::SealedUnsyncedError() const {
  return absl::DataLossError(absl::StrCat(
      context_.where, ": segment sealed before it could be synced"));
}

absl::Status LogWriter::TimedSync(WritableFile& file) const {
  const auto start = std::chrono::steady_clock::now();
  absl::Status st = file.Sync();
  const auto took = std::chrono::steady_clock::now() - start;
  context_.stats.fsync_nanos.fetch_add(
      std::chrono::duration_cast<std::chrono::nanoseconds>(took).count(),
      std::memory_order_relaxed);
  return st;
}

absl::Status LogWriter::StartLocked(std::unique_ptr<Directory> dir,
                                    uint64_t seq) {
  dir_ = std::move(dir);
  next_seq_ = seq;
  return OpenSegmentLocked();
}

absl::Status LogWriter::OpenSegmentLocked() {
  const uint64_t seq = next_seq_;
  const std::string path = context_.SegmentPath(seq);
  auto file = context_.env->NewWritableFile(
      path, SpoolEnv::OpenMode::kCreateNew, context_.file_mode);
  if (!file.ok()) return IoError(file.status(), "cannot create", seq);
  // The header, the file and its directory entry are durable before the
  // first record goes in, so a synced record is never in a file that a
  // power loss could make vanish.
  absl::Status st =
      (*file)->Write(0, absl::string_view(kSegmentHeader, kSegmentHeaderBytes));
  if (st.ok()) st = (*file)->Sync();
  if (st.ok()) st = dir_->Sync();
  if (!st.ok()) {
    context_.env->Remove(path).IgnoreError();
    return IoError(st, "cannot write", seq);
  }
  SegmentInfo segment;
  segment.seq = seq;
  segment.size = kSegmentHeaderBytes;
  segments_.push_back(std::move(segment));
  file_ = std::move(*file);
  ++next_seq_;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> LogWriter::AppendLocked(absl::string_view frames,
                                                 Position* at, bool* sealed) {
  *sealed = false;
  if (file_ == nullptr) {
    // A rotation failed earlier: try again to have a file to write.
    RETURN_IF_ERROR(OpenSegmentLocked());
  }
  if (segments_.back().size > kSegmentHeaderBytes &&
      segments_.back().size + frames.size() > segment_bytes_) {
    *sealed = true;
    absl::Status st = RotateLocked();
    if (!st.ok()) {
      AbandonLocked();  // the next append opens the next segment
      return st;
    }
  }
  SegmentInfo& active = segments_.back();
  *at = Position{active.seq, active.size};
  absl::Status st = file_->Write(active.size, frames);
  if (!st.ok()) {
    // Leave no partial frame behind: the next write starts cleanly here.
    if (absl::Status cut = file_->Truncate(active.size); !cut.ok()) {
      context_.log().error("{}: cannot cut a failed write: {}",
                           context_.log_where, cut.message());
    }
    absl::Status refused = IoError(st, "write to", active.seq);
    // Seal a segment that holds records, so it can be deleted once they
    // are delivered and the space comes back; the next commit opens a new
    // one (and fails cleanly while the disk is still full).
    if (active.size > kSegmentHeaderBytes) {
      if (absl::Status seal = SealLocked(); !seal.ok()) {
        context_.log().error("{}: cannot seal after a failed write: {}",
                             context_.log_where, seal.message());
      } else {
        *sealed = true;
      }
    }
    return refused;
  }
  active.size += frames.size();
  appended_total_ += frames.size();
  return appended_total_;
}

absl::Status LogWriter::RotateLocked() {
  // Everything appended and not yet synced is in this file (older ones
  // were synced when they were sealed), so one fdatasync makes all of it
  // durable.
  RETURN_IF_ERROR(SyncHeldLocked());
  segments_.back().sealed = true;
  file_.reset();
  return OpenSegmentLocked();
}

absl::Status LogWriter::SealLocked() {
  RETURN_IF_ERROR(SyncHeldLocked());
  segments_.back().sealed = true;
  file_.reset();
  return absl::OkStatus();
}

void LogWriter::AbandonLocked() {
  if (file_ == nullptr) return;
  segments_.back().sealed = true;
  file_.reset();
  if (synced_total_ < appended_total_) {
    // Its bytes can no longer be synced here: refuse those still waiting
    // rather than let a sync of the next file answer for them.
    synced_total_ = appended_total_;
    ResolveLocked(appended_total_, SealedUnsyncedError());
  }
}

absl::Status LogWriter::SyncHeldLocked() {
  absl::Status st = TimedSync(*file_);
  if (!st.ok()) return IoError(st, "fdatasync", segments_.back().seq);
  context_.stats.fsyncs.fetch_add(1, std::memory_order_relaxed);
  synced_total_ = std::max(synced_total_, appended_total_);
  ResolveLocked(appended_total_, absl::OkStatus());
  return absl::OkStatus();
}

void LogWriter::SyncOnceLocked() {
  if (file_ == nullptr) {
    // Sealed before it could be synced (AbandonLocked has answered those
    // waiting then): nothing is left that a sync could cover.
    synced_total_ = appended_total_;
    ResolveLocked(appended_total_, SealedUnsyncedError());
    return;
  }
  sync_in_progress_ = true;
  const uint64_t goal = appended_total_;
  std::shared_ptr<WritableFile> file = file_;
  const uint64_t seq = segments_.back().seq;
  mu_.Unlock();
  const absl::Status st = TimedSync(*file);
  mu_.Lock();
  sync_in_progress_ = false;
  context_.stats.fsyncs.fetch_add(1, std::memory_order_relaxed);
  if (st.ok()) {
    synced_total_ = std::max(synced_total_, goal);
    ResolveLocked(goal, absl::OkStatus());
  } else {
    // synced_total_ stays: the maintenance thread tries again.
    const absl::Status error = IoError(st, "fdatasync", seq);
    context_.log().error("{}", error.message());
    ResolveLocked(goal, error);
  }
  sync_done_.SignalAll();
}

void LogWriter::ResolveLocked(uint64_t upto, const absl::Status& status) {
  while (!waiters_.empty() && waiters_.front()->target <= upto) {
    Waiter* w = waiters_.front();
    waiters_.pop_front();
    w->done = true;
    w->status = status;
  }
  sync_done_.SignalAll();
}

absl::Status LogWriter::WaitDurableLocked(uint64_t target) {
  // Queued in the same critical section as its append, so every sync
  // whose goal reaches `target` answers this waiter.
  Waiter w;
  w.target = target;
  waiters_.push_back(&w);
  while (!w.done) {
    if (!sync_in_progress_) {
      SyncOnceLocked();
      continue;
    }
    sync_done_.Wait(&mu_);
  }
  return w.status;
}

void LogWriter::SyncIfBehindLocked() {
  if (!sync_in_progress_ && synced_total_ < appended_total_) SyncOnceLocked();
}

void LogWriter::FinishLocked() {
  while (sync_in_progress_) sync_done_.Wait(&mu_);
  if (synced_total_ < appended_total_) SyncOnceLocked();
}

}  // namespace spool
}  // namespace streamgate
