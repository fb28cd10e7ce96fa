#include "gateway/spool/spool_queue.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/spool/recovery.h"
#include "gateway/spool/segment_format.h"

namespace streamgate {

using spool::kSegmentHeaderBytes;
using spool::Position;

namespace {

// Bytes of records one Pop reads at most (one larger record still goes).
constexpr uint64_t kPopWindowBytes = 4 << 20;
// How often the checkpoint is rewritten at most while records complete.
constexpr absl::Duration kCheckpointEvery = absl::Milliseconds(100);

}  // namespace

SpoolQueue::SpoolQueue(std::string module_id, SpoolOptions options,
                       spool::SpoolEnv* env,
                       std::shared_ptr<spdlog::logger> logger)
    : options_(std::move(options)),
      context_(env != nullptr ? env : spool::DefaultSpoolEnv(), options_.dir,
               absl::StrCat("module '", module_id, "': spool ", options_.dir),
               std::move(logger), options_.file_mode),
      writer_(context_, mu_, segments_,
              static_cast<uint64_t>(options_.segment_bytes)),
      reader_(context_),
      collector_(context_) {}

SpoolQueue::~SpoolQueue() {
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    stopping_ = true;
    stop_cv_.SignalAll();
    data_ready_.SignalAll();
  }
  if (maintainer_.joinable()) maintainer_.join();
  // Answers what is still queued, then ends.
  if (commit_thread_.joinable()) commit_thread_.join();
  bool started;
  {
    absl::MutexLock lock(&mu_);
    started = started_;
    // A clean stop leaves everything synced and the progress recorded.
    if (started) writer_.FinishLocked();
  }
  if (started) MaintainOnce(/*checkpoint=*/true);
}

uint64_t SpoolQueue::ReservationBytes(size_t records, size_t bytes) const {
  return bytes + records * (spool::kFrameHeaderBytes + 4);
}

absl::Status SpoolQueue::Start() {
  spool::SpoolEnv& env = *context_.env;
  const std::string& where = context_.where;
  if (absl::Status st = env.CreateDir(options_.dir); !st.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(where, ": cannot create the directory: ", st.message()));
  }
  auto dir = env.OpenDirectory(options_.dir);
  if (!dir.ok()) {
    return absl::FailedPreconditionError(absl::StrCat(
        where, ": cannot open the directory: ", dir.status().message()));
  }
  const std::string lock_path = options_.dir + "/LOCK";
  auto lock = env.LockFile(lock_path, context_.file_mode);
  if (!lock.ok()) {
    if (lock.status().message() == spool::kSymlinkRefused) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": ", lock_path, " ", spool::kSymlinkRefused));
    }
    if (absl::IsFailedPrecondition(lock.status())) {
      return absl::FailedPreconditionError(absl::StrCat(
          where, ": in use by another process (", lock_path, " is locked)"));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        where, ": cannot create files in the directory: ", lock_path, ": ",
        lock.status().message()));
  }
  lock_ = std::move(*lock);
  {
    absl::MutexLock lock(&mu_);
    auto recovered = spool::Recovery(context_).Run();
    if (!recovered.ok()) return recovered.status();
    segments_ = std::move(recovered->segments);
    absl::Status st = writer_.StartLocked(std::move(*dir), recovered->next_seq);
    if (!st.ok()) return st;
    const Position start = recovered->start.value_or(
        Position{recovered->next_seq, kSegmentHeaderBytes});
    read_ = start;
    tracker_.Reset(start);
    collector_.set_checkpointed(start);
    used_bytes_ = recovered->bytes;
    unread_records_ = recovered->records;
    SpoolStats& stats = context_.stats;
    stats.replayed_records.store(recovered->records);
    AdvanceReaderLocked();
    ReleaseDeliveredLocked();
    if (unread_records_ > 0 || stats.damaged_regions.load() > 0 ||
        stats.torn_tails_cut.load() > 0) {
      context_.log().info(
          "{}: {} undelivered records ({} bytes) to replay first; {} torn "
          "tails cut, {} damaged regions skipped",
          context_.log_where, unread_records_, recovered->bytes,
          stats.torn_tails_cut.load(), stats.damaged_regions.load());
    }
    started_ = true;
  }
  maintainer_ = std::thread([this] { Maintain(); });
  if (options_.fsync_always) {
    commit_thread_ = std::thread([this] { CommitLoop(); });
  }
  return absl::OkStatus();
}

bool SpoolQueue::DoReserve(size_t records, size_t bytes) {
  const uint64_t need = ReservationBytes(records, bytes);
  absl::MutexLock lock(&mu_);
  if (!started_ || closed_) return false;
  // An input larger than the whole spool would never fit: let it in when the
  // spool is empty rather than refusing it forever.
  if (used_bytes_ > 0 &&
      used_bytes_ + need > static_cast<uint64_t>(options_.max_bytes)) {
    return false;
  }
  used_bytes_ += need;
  return true;
}

void SpoolQueue::DoCancel(size_t records, size_t bytes) {
  absl::MutexLock lock(&mu_);
  used_bytes_ -= ReservationBytes(records, bytes);
}

void SpoolQueue::DoPublish(uint64_t ticket, OutBatch, size_t) {
  absl::MutexLock lock(&mu_);
  auto it = prepared_.find(ticket);
  if (it == prepared_.end()) return;
  unread_records_ += it->second.records;
  prepared_.erase(it);
  // The commit thread wakes the consumer once for its whole group.
  if (consumer_waiting_ && !answering_) data_ready_.Signal();
}

void SpoolQueue::DoAbort(uint64_t ticket, size_t, size_t) {
  absl::MutexLock lock(&mu_);
  AbortPreparedLocked(ticket);
  // Its bytes stay counted until the reader has stepped over them.
  if (consumer_waiting_) data_ready_.Signal();
}

void SpoolQueue::AbortPreparedLocked(uint64_t ticket) {
  auto it = prepared_.find(ticket);
  if (it == prepared_.end()) return;
  const Prepared& p = it->second;
  if (spool::SegmentInfo* s = segments_.Find(p.start.segment)) {
    auto& aborted = s->aborted;
    const spool::Region region{p.start.offset, p.end};
    aborted.insert(
        std::upper_bound(aborted.begin(), aborted.end(), region,
                         [](const spool::Region& a, const spool::Region& b) {
                           return a.begin < b.begin;
                         }),
        region);
  }
  prepared_.erase(it);
}

uint64_t SpoolQueue::ReadableEndLocked(const spool::SegmentInfo& s) const {
  if (prepared_.empty()) return s.size;
  const Position& first = prepared_.begin()->second.start;
  if (first.segment > s.seq) return s.size;
  // The oldest unpublished input is here or (impossible: the reader never
  // passes one) earlier: stop at it.
  return first.segment == s.seq ? std::min(s.size, first.offset) : 0;
}

void SpoolQueue::AdvanceReaderLocked() {
  const uint64_t before = read_.segment;
  segments_.Advance(read_);
  // Moving on may be the last thing a delivered, sealed segment waited for
  // (its batches completed while the reader still stood at its end).
  if (read_.segment != before) ReleaseDeliveredLocked();
}

bool SpoolQueue::HasUnreadLocked() {
  AdvanceReaderLocked();
  const spool::SegmentInfo* s = segments_.Find(read_.segment);
  return s != nullptr && read_.offset < ReadableEndLocked(*s);
}

bool SpoolQueue::Pop(QueueBatch& out, size_t max_records, absl::Duration wait) {
  out.records.clear();
  out.done = [](const DeliveryReport&) {};
  Position start;
  uint64_t end;
  std::vector<spool::Region> damage;
  std::vector<spool::Region> aborted;
  {
    absl::MutexLock lock(&mu_);
    if (!closed_ && !HasUnreadLocked()) {
      const absl::Time deadline = absl::Now() + wait;
      consumer_waiting_ = true;
      while (!closed_ && !HasUnreadLocked()) {
        if (data_ready_.WaitWithDeadline(&mu_, deadline)) break;
      }
      consumer_waiting_ = false;
    }
    if (closed_) return false;  // the rest stays on disk for the next start
    if (!HasUnreadLocked()) return true;
    start = read_;
    const spool::SegmentInfo* s = segments_.Find(read_.segment);
    end = ReadableEndLocked(*s);
    damage = s->damage;
    aborted = s->aborted;
    if (!reader_.Open(s->seq)) return true;
  }
  // Read outside the lock: appended bytes never change, and the segment
  // cannot be deleted before the reader has passed it.
  const uint64_t off = reader_.Read(start.offset, end, damage, aborted,
                                    max_records, kPopWindowBytes, out.records);
  if (off == start.offset) {
    // Nothing could be read (an I/O error): do not spin on it.
    absl::SleepFor(std::min(wait, absl::Milliseconds(100)));
    return true;
  }
  absl::MutexLock lock(&mu_);
  read_.offset = off;
  unread_records_ -= out.records.size();
  const uint64_t id = tracker_.Add(read_, off - start.offset);
  AdvanceReaderLocked();
  if (out.records.empty()) {
    tracker_.Settle(id);  // only damaged bytes were passed over
    ReleaseDeliveredLocked();
  } else {
    out.done = [this, id](const DeliveryReport& report) {
      // Records left undelivered (the sink closed first) keep the batch,
      // and everything after it, on disk for the next start.
      if (report.undelivered == 0) Settle(id);
    };
  }
  return true;
}

void SpoolQueue::Settle(uint64_t batch_id) {
  absl::MutexLock lock(&mu_);
  tracker_.Settle(batch_id);
  ReleaseDeliveredLocked();
}

void SpoolQueue::ReleaseDeliveredLocked() {
  used_bytes_ -= tracker_.Advance();
  std::vector<uint64_t> finished;
  segments_.PopFinished(tracker_.watermark(), read_, finished);
  for (uint64_t seq : finished) {
    // Close the reader's descriptor too, or the space stays taken after the
    // unlink. The consumer is done with it: it reads only at read_.segment,
    // which is past this one.
    reader_.Release(seq);
    to_delete_.push_back(seq);
  }
  if (!to_delete_.empty()) stop_cv_.Signal();
}

void SpoolQueue::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  data_ready_.SignalAll();
}

size_t SpoolQueue::depth() const {
  absl::MutexLock lock(&mu_);
  return unread_records_;
}

uint64_t SpoolQueue::used_bytes() const {
  absl::MutexLock lock(&mu_);
  return used_bytes_;
}

size_t SpoolQueue::segment_count() const {
  absl::MutexLock lock(&mu_);
  return segments_.size() + to_delete_.size();
}

void SpoolQueue::CollectMetrics(metrics::MetricsWriter& out) const {
  SpoolGauges gauges;
  gauges.used_bytes = used_bytes();
  gauges.segments = segment_count();
  gauges.max_bytes = options_.max_bytes;
  WriteSpoolMetrics(context_.stats, gauges, out);
}

void SpoolQueue::Maintain() {
  const absl::Duration tick =
      options_.fsync_always ? kCheckpointEvery
                            : absl::Milliseconds(options_.fsync_interval_ms);
  absl::Time last_checkpoint = absl::Now();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      stop_cv_.WaitWithTimeout(&mu_, tick);
      if (stopping_) return;
      if (!options_.fsync_always) writer_.SyncIfBehindLocked();
    }
    // The checkpoint costs a write, an fdatasync and a rename: rewrite it
    // at most every kCheckpointEvery, however short the fsync interval.
    const bool due = absl::Now() - last_checkpoint >= kCheckpointEvery;
    if (due) last_checkpoint = absl::Now();
    MaintainOnce(due);
  }
}

void SpoolQueue::MaintainOnce(bool checkpoint) {
  std::vector<uint64_t> finished;
  absl::optional<Position> watermark;
  {
    absl::MutexLock lock(&mu_);
    finished.swap(to_delete_);
    if (checkpoint) watermark = tracker_.watermark();
  }
  collector_.Collect(finished, watermark);
}

}  // namespace streamgate
