// LogWriter: the write side of a spool (cf. LevelDB's log::Writer). Appends
// framed records to the newest segment file, rotates to a new file at
// segment_bytes, and makes appends durable: with fsync always the group
// commit's leader (spool_queue.h) waits until an fdatasync covers its
// group's bytes; otherwise the maintenance thread syncs every interval
// (SyncIfBehindLocked).
//
// A failed write is cut back and refused; the segment is then sealed when it
// holds records, so it can be deleted once they are delivered and the space
// comes back (the next commit opens a new one, and fails cleanly while the
// disk is still full). A committer whose bytes a failed sync covered is
// refused even when a later sync succeeds: after a failed fdatasync the
// kernel may have dropped those pages.
//
// Threading: every method runs under the SpoolQueue's lock (`mu`, passed
// at construction), which also guards the SegmentList. Syncs run with the
// lock released, on a file the writer keeps alive meanwhile.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "gateway/spool/segment_list.h"
#include "gateway/spool/spool_context.h"
#include "gateway/spool/spool_env.h"

namespace streamgate {
namespace spool {

class LogWriter {
 public:
  LogWriter(const SpoolContext& context, absl::Mutex& mu, SegmentList& segments,
            uint64_t segment_bytes);

  // Creates the first segment of this run, numbered `seq`, in `dir` (the
  // spool directory, synced after each segment file is created).
  absl::Status StartLocked(std::unique_ptr<Directory> dir, uint64_t seq)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Appends whole frames to the segment being written (opening one when
  // the last was sealed, rotating when it would grow past segment_bytes).
  // Returns the running total of appended bytes to wait for (WaitDurable)
  // and sets `*at` to where the frames went. Sets `*sealed` when a segment
  // was sealed (the reader may move on, a delivered segment may go).
  absl::StatusOr<uint64_t> AppendLocked(absl::string_view frames, Position* at,
                                        bool* sealed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Waits until a sync covers the bytes up to `target` (the lock is
  // released while waiting), leading a sync when none is running. OK only
  // when the sync that covered them succeeded.
  absl::Status WaitDurableLocked(uint64_t target)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // One fdatasync when bytes are unsynced and no sync is running.
  void SyncIfBehindLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // At a clean stop: waits for a running sync, then syncs the rest.
  void FinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

 private:
  // A committer waiting in WaitDurableLocked (on its stack).
  struct Waiter {
    uint64_t target = 0;
    bool done = false;
    absl::Status status;
  };

  absl::Status OpenSegmentLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Syncs the segment being written and starts the next one.
  absl::Status RotateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Syncs the segment being written and seals it (the next append opens a
  // new one).
  absl::Status SealLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Seals the segment being written without a sync (its sync failed, or the
  // next file could not be made); refuses committers of unsynced bytes.
  void AbandonLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // An fdatasync of the segment being written with the lock held.
  absl::Status SyncHeldLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // file.Sync(), its wall time added to the stats' fsync_nanos.
  absl::Status TimedSync(WritableFile& file) const;
  // One fdatasync with the lock released (the group commit's leader).
  void SyncOnceLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Everything appended up to `upto` is durable (`status` OK) or never
  // will be: answers the waiters it covers.
  void ResolveLocked(uint64_t upto, const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // "<where>: <what> <segment path>: <system text>", keeping the code of
  // a full disk (RESOURCE_EXHAUSTED) and making others UNAVAILABLE.
  absl::Status IoError(const absl::Status& cause, absl::string_view what,
                       uint64_t seq) const;
  // For committers whose bytes were in a segment sealed unsynced.
  absl::Status SealedUnsyncedError() const;

  const SpoolContext& context_;
  absl::Mutex& mu_;
  SegmentList& segments_ ABSL_GUARDED_BY(mu_);
  const uint64_t segment_bytes_;
  std::unique_ptr<Directory> dir_ ABSL_GUARDED_BY(mu_);

  // The newest segment's file while it is being written (null once it is
  // sealed); shared with a sync running outside the lock.
  std::shared_ptr<WritableFile> file_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;

  // Byte totals of this run: appended, and durable or given up.
  uint64_t appended_total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t synced_total_ ABSL_GUARDED_BY(mu_) = 0;
  bool sync_in_progress_ ABSL_GUARDED_BY(mu_) = false;
  absl::CondVar sync_done_;
  // Committers waiting for a sync, in append order (targets ascending).
  std::deque<Waiter*> waiters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace spool
}  // namespace streamgate
