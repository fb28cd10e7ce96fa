// SpoolQueue: a ModuleQueue that keeps every committed record on disk until
// the sink has delivered or dead-lettered it, so an acknowledged record
// survives a crash, an OOM kill or a long sink outage.
//
// Layout of `dir`: append-only segment files seg-<20 digits>.log (format in
// segment_format.h), `checkpoint` (oldest undelivered position) and LOCK
// (flock, one process per spool). Commit appends one write per call; with
// fsync always it returns after an fdatasync that covers it, concurrent
// committers sharing one (leader/follower group commit); otherwise a
// background thread fdatasyncs every fsync_interval_ms. The consumer reads
// records back from the files through a bounded window, oldest first, so
// after a restart the backlog is replayed before anything new. A batch's
// done callback advances the delivered watermark (completions may arrive in
// any order); a sealed segment is deleted once the watermark has passed its
// end, and the watermark is checkpointed about every 100 ms, so a restart
// replays at most what was delivered since (at-least-once).
//
// Start recovers: a torn tail (partial frame or bad CRC with no valid frame
// after it) is cut with ftruncate; a damaged region followed by valid frames
// is skipped; both are counted and logged, never fatal.
//
// Capacity is disk bytes (max_bytes counts undelivered frames plus
// reservations); queue.max_records/max_bytes do not apply. The files of
// delivered records linger until their segment is deleted, so the directory
// can exceed max_bytes by up to one segment.
//
// Threading: as ModuleQueue. Commit serializes its writes on one mutex and,
// with fsync always, blocks the calling thread until the group fsync. Done
// callbacks must run before the queue is destroyed.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "gateway/core/module_queue.h"
#include "gateway/spool/checkpoint.h"
#include "gateway/spool/segment_format.h"
#include "gateway/spool/spool_options.h"

namespace streamgate {

struct SpoolStats {
  std::atomic<uint64_t> replayed_records{0};  // undelivered, found at Start
  std::atomic<uint64_t> torn_tails_cut{0};
  std::atomic<uint64_t> torn_bytes_cut{0};
  std::atomic<uint64_t> damaged_regions{0};
  std::atomic<uint64_t> damaged_bytes{0};
  std::atomic<uint64_t> fsyncs{0};
  std::atomic<uint64_t> write_errors{0};
  std::atomic<uint64_t> segments_deleted{0};
};

class SpoolQueue : public ModuleQueue {
 public:
  SpoolQueue(std::string module_id, SpoolOptions options);
  ~SpoolQueue() override;

  absl::Status Start() override;
  bool TryReserve(size_t records, size_t bytes) override;
  void Commit(OutBatch records, size_t bytes) override;
  absl::Status TryCommit(OutBatch records, size_t bytes) override;
  void Cancel(size_t records, size_t bytes) override;
  bool Pop(OutBatch& out, size_t max_records, absl::Duration wait) override;
  bool PopBatch(QueueBatch& out, size_t max_records,
                absl::Duration wait) override;
  void Close() override;
  size_t depth() const override;
  bool durable() const override { return true; }

  const SpoolStats& stats() const { return stats_; }
  // Undelivered frame bytes plus reservations (what max_bytes limits).
  uint64_t used_bytes() const;
  // streamgate_module_spool_*: bytes, segments, fsyncs, write errors,
  // replayed records, torn tails and damaged regions.
  void CollectMetrics(metrics::MetricsWriter& out) const override;
  // Segment files on disk, the one being written included.
  size_t segment_count() const;

 private:
  struct File;  // an open segment file (closed when the last user drops it)
  struct Segment {
    uint64_t seq = 0;
    uint64_t size = 0;  // bytes of valid data, header included
    bool sealed = false;
    std::shared_ptr<File> file;  // set for the segment being written
    std::vector<spool::Region> damage;  // known from recovery
  };
  struct InFlight {
    uint64_t id = 0;
    spool::Position end;  // reader position after the batch
    uint64_t bytes = 0;   // disk bytes the batch moved the reader over
    bool done = false;
  };

  std::string SegmentPath(uint64_t seq) const;
  absl::Status Recover() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status OpenNewSegmentLocked(uint64_t seq)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RotateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Syncs and seals the active segment without opening the next one (the
  // next commit does). After a failed write (disk full) this is what lets
  // space come back: a sealed segment is deleted once delivered, the active
  // one never is.
  absl::Status SealActiveLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WaitDurable(uint64_t target);
  // One fdatasync of the segment being written (leader of a group commit).
  void SyncOnceLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Segment* FindLocked(uint64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool HasUnreadLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the reader past sealed segments it has finished, then releases
  // what that made deletable.
  void AdvanceReaderLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AdvanceReaderOnceLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseDeliveredLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Complete(uint64_t batch_id);
  void Maintain();
  // Deletes delivered segments; rewrites the checkpoint if `checkpoint`.
  void MaintainOnce(bool checkpoint);
  uint64_t ReservationBytes(size_t records, size_t bytes) const;

  const std::string module_id_;
  const SpoolOptions options_;
  const std::string where_;  // "module 'x': spool <dir>" for messages
  SpoolStats stats_;

  mutable absl::Mutex mu_;
  absl::CondVar data_ready_;
  absl::CondVar sync_done_;
  absl::CondVar stop_cv_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool consumer_waiting_ ABSL_GUARDED_BY(mu_) = false;
  int lock_fd_ = -1;
  int dir_fd_ = -1;
  std::deque<Segment> segments_ ABSL_GUARDED_BY(mu_);
  uint64_t used_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t unread_records_ ABSL_GUARDED_BY(mu_) = 0;

  // Group commit: byte counts appended / known synced in this run.
  uint64_t appended_total_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t synced_total_ ABSL_GUARDED_BY(mu_) = 0;
  bool sync_in_progress_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t sync_failed_upto_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status sync_error_ ABSL_GUARDED_BY(mu_);

  // Reading and delivery progress.
  spool::Position read_ ABSL_GUARDED_BY(mu_);
  spool::Position watermark_ ABSL_GUARDED_BY(mu_);
  spool::Position checkpointed_ ABSL_GUARDED_BY(mu_);
  std::deque<InFlight> inflight_ ABSL_GUARDED_BY(mu_);
  uint64_t next_batch_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::vector<uint64_t> to_delete_ ABSL_GUARDED_BY(mu_);

  // The file being read and its window: used by the consumer thread (Pop),
  // outside mu_ only while read_ is inside that file; released under mu_
  // when the file's segment is deleted (read_ is past it then).
  uint64_t reader_seq_ = 0;
  std::shared_ptr<File> reader_file_;
  std::unique_ptr<spool::FrameReader> reader_;

  std::thread maintainer_;
};

}  // namespace streamgate
