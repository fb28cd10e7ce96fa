// SpoolQueue: a ModuleQueue that keeps every committed record on disk until
// the sink has delivered or dead-lettered it, so an acknowledged record
// survives a crash, an OOM kill or a long sink outage.
//
// Layout of `dir`: append-only segment files seg-<20 digits>.log (format in
// segment_format.h), `checkpoint` (oldest undelivered position) and LOCK
// (one process per spool). The parts, after LevelDB's log writer/reader:
//   LogWriter (log_writer.h)     appends, rotates, syncs (group commit)
//   LogReader (log_reader.h)     reads records back, skipping damage
//   Recovery (recovery.h)        the scan at Start: torn tails, damage
//   DeliveryTracker, SegmentList the delivered watermark; finished segments
//   SegmentCollector             deletes those, writes the checkpoint
// all through a SpoolEnv (spool_env.h; POSIX unless one is injected).
//
// Group commit (LevelDB's writer queue): committers queue up; the one at the
// front is the leader and writes the frames of everyone queued (up to
// kMaxGroupBytes) in one write, then, with fsync always, waits for one
// fdatasync covering it with the lock released while newcomers queue
// behind, and answers the whole group with the shared result: a failed
// write or sync fails every commit of the group. Without fsync always a
// background thread fdatasyncs every fsync_interval_ms.
//
// Two phases (module_queue.h): a prepared input's frames are on disk but
// the consumer reads only up to the oldest input still unpublished; an
// aborted one is stepped over (and a failed group's inputs are aborted), so
// an input refused to the client is never delivered by this spool. The
// skip is in memory: a restart replays such frames (at-least-once).
//
// The consumer reads records back from the files, oldest first, so after a
// restart the backlog is replayed before anything new. A batch's done
// callback advances the delivered watermark when its report has nothing
// undelivered (completions may arrive in any order); a batch with
// undelivered records stays on disk and is replayed at the next start. A
// sealed segment is deleted once the watermark has passed its end, and the
// watermark is checkpointed about every 100 ms, so a restart replays at most
// what was delivered since (at-least-once).
//
// Capacity is disk bytes (max_bytes counts undelivered frames plus
// reservations); queue.max_records/max_bytes do not apply. The files of
// delivered records linger until their segment is deleted, so the directory
// can exceed max_bytes by up to one segment.
//
// PrepareAsync (fsync always): the committer is queued with its completion
// and the call returns; the spool's commit thread leads every group whose
// front is such a committer and runs the completions once the group has
// synced (or failed), outside the lock. Blocking and asynchronous
// committers share one queue, and so one fdatasync.
//
// Sources: spool_queue.cc holds start/stop, reservations, publish/abort,
// the consumer (Pop, Settle) and maintenance; spool_commit.cc the group
// commit (DoPrepare, DoPrepareAsync, CommitGroupLocked, the commit thread).
//
// Threading: as ModuleQueue. Prepare blocks the calling thread until its
// group is written and, with fsync always, synced.
// Done callbacks must run before the queue is destroyed.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "gateway/core/module_queue.h"
#include "gateway/spool/checkpoint.h"
#include "gateway/spool/delivery_tracker.h"
#include "gateway/spool/log_reader.h"
#include "gateway/spool/log_writer.h"
#include "gateway/spool/segment_collector.h"
#include "gateway/spool/segment_list.h"
#include "gateway/spool/spool_context.h"
#include "gateway/spool/spool_env.h"
#include "gateway/spool/spool_options.h"
#include "gateway/spool/spool_stats.h"

namespace streamgate {

class SpoolQueue : public ModuleQueue {
 public:
  // `env` (not owned; null: the POSIX one) must outlive the queue. The
  // spool logs to `logger` (null: spdlog's default logger).
  SpoolQueue(std::string module_id, SpoolOptions options,
             spool::SpoolEnv* env = nullptr,
             std::shared_ptr<spdlog::logger> logger = nullptr);
  ~SpoolQueue() override;

  absl::Status Start() override;
  bool Pop(QueueBatch& out, size_t max_records, absl::Duration wait) override;
  void Close() override;
  size_t depth() const override;
  bool durable() const override { return true; }
  // streamgate_module_spool_*: bytes, segments, fsyncs, write errors,
  // replayed records, torn tails and damaged regions.
  void CollectMetrics(metrics::MetricsWriter& out) const override;

  const SpoolStats& stats() const { return context_.stats; }
  // Undelivered frame bytes plus reservations (what max_bytes limits).
  uint64_t used_bytes() const;
  // Segment files on disk, the one being written included.
  size_t segment_count() const;

 protected:
  bool DoReserve(size_t records, size_t bytes) override;
  absl::StatusOr<uint64_t> DoPrepare(OutBatch& records, size_t bytes) override;
  void DoPrepareAsync(OutBatch& records, size_t bytes,
                      PrepareDone done) override;
  void DoPublish(uint64_t ticket, OutBatch records, size_t bytes) override;
  void DoAbort(uint64_t ticket, size_t records, size_t bytes) override;
  void DoCancel(size_t records, size_t bytes) override;

 private:
  // A thread in DoPrepare, queued for the group commit (on its stack), or
  // an asynchronous committer (on the heap, owned by the queue; `answer`
  // set).
  struct Committer {
    std::string owned_frames;  // asynchronous: `frames` views this
    PrepareDone answer;
    absl::string_view frames;
    size_t records = 0;
    uint64_t reserved = 0;  // bytes of its reservation
    bool done = false;
    absl::Status status;
    uint64_t ticket = 0;
    absl::CondVar cv;
  };
  // Frames of a prepared input, unpublished: the reader stops before them.
  struct Prepared {
    spool::Position start;
    uint64_t end = 0;  // offset in start.segment
    size_t records = 0;
  };

  // The leader's work: writes the group at the front of committers_, syncs
  // it when fsync always, answers it, and wakes the next leader. The
  // group's asynchronous committers go to `answered`, for the caller to
  // run once it has released mu_ (RunAnswers).
  void CommitGroupLocked(std::vector<std::unique_ptr<Committer>>& answered)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void RunAnswers(std::vector<std::unique_ptr<Committer>>& answered);
  // The commit thread (fsync always): leads groups that start with an
  // asynchronous committer.
  void CommitLoop();
  bool CommitThreadHasWorkLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Steps the reader over a prepared input's frames from now on.
  void AbortPreparedLocked(uint64_t ticket) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Where the reader must stop in segment `s`: its end, or the start of the
  // oldest unpublished input in it.
  uint64_t ReadableEndLocked(const spool::SegmentInfo& s) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t ReservationBytes(size_t records, size_t bytes) const;
  bool HasUnreadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the reader past sealed segments it has finished, then releases
  // what that made deletable.
  void AdvanceReaderLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the watermark over settled batches and hands finished segments
  // to the maintenance thread.
  void ReleaseDeliveredLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Settle(uint64_t batch_id);
  // The maintenance thread: background fsync, deletions, checkpoints.
  void Maintain();
  void MaintainOnce(bool checkpoint);

  const SpoolOptions options_;
  spool::SpoolContext context_;
  // Held from Start to destruction; destroyed last among the file holders.
  std::unique_ptr<spool::FileLock> lock_;

  mutable absl::Mutex mu_;
  absl::CondVar data_ready_;
  absl::CondVar stop_cv_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool consumer_waiting_ ABSL_GUARDED_BY(mu_) = false;
  spool::SegmentList segments_ ABSL_GUARDED_BY(mu_);
  uint64_t used_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t unread_records_ ABSL_GUARDED_BY(mu_) = 0;
  spool::Position read_ ABSL_GUARDED_BY(mu_);
  spool::DeliveryTracker tracker_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> to_delete_ ABSL_GUARDED_BY(mu_);
  std::deque<Committer*> committers_ ABSL_GUARDED_BY(mu_);
  // A group commit is running (its sync may have released mu_).
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
  // The commit thread is running a group's answers: their publishes leave
  // waking the consumer to it.
  bool answering_ ABSL_GUARDED_BY(mu_) = false;
  // Prepared inputs not yet published, by ticket (= append order).
  std::map<uint64_t, Prepared> prepared_ ABSL_GUARDED_BY(mu_);
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 1;

  spool::LogWriter writer_;            // under mu_
  spool::LogReader reader_;            // see log_reader.h
  spool::SegmentCollector collector_;  // maintenance thread
  std::thread maintainer_;
  std::thread commit_thread_;  // fsync always only
};

}  // namespace streamgate
