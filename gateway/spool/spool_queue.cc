#include "gateway/spool/spool_queue.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gateway/api/metrics_writer.h"
#include "gateway/common/logging.h"

namespace streamgate {

using spool::FrameParse;
using spool::FrameView;
using spool::kSegmentHeaderBytes;
using spool::Position;

namespace {

// Bytes of records one Pop reads at most (one larger record still goes).
constexpr uint64_t kPopWindowBytes = 4 << 20;
// How often the checkpoint is rewritten at most while records complete.
constexpr absl::Duration kCheckpointEvery = absl::Milliseconds(100);

std::string ErrnoText(int err) { return std::strerror(err); }

absl::Status IoError(int err, absl::string_view what) {
  if (err == ENOSPC || err == EDQUOT) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, ": ", ErrnoText(err)));
  }
  return absl::UnavailableError(absl::StrCat(what, ": ", ErrnoText(err)));
}

bool WriteAll(int fd, const char* p, size_t n, uint64_t off, int* err) {
  while (n > 0) {
    const ssize_t w = pwrite(fd, p, n, static_cast<off_t>(off));
    if (w < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
    off += static_cast<uint64_t>(w);
  }
  return true;
}

// Parses "seg-<digits>.log".
bool ParseSegmentName(const char* name, uint64_t* seq) {
  absl::string_view s(name);
  if (s.size() != 4 + 20 + 4 || s.substr(0, 4) != "seg-" ||
      s.substr(24) != ".log") {
    return false;
  }
  return absl::SimpleAtoi(s.substr(4, 20), seq);
}

}  // namespace

struct SpoolQueue::File {
  explicit File(int f) : fd(f) {}
  ~File() { close(fd); }
  const int fd;
};

SpoolQueue::SpoolQueue(std::string module_id, SpoolOptions options)
    : module_id_(std::move(module_id)),
      options_(std::move(options)),
      where_(absl::StrCat("module '", module_id_, "': spool ", options_.dir)) {}

SpoolQueue::~SpoolQueue() {
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    stopping_ = true;
    stop_cv_.SignalAll();
    data_ready_.SignalAll();
  }
  if (maintainer_.joinable()) maintainer_.join();
  bool started;
  {
    absl::MutexLock lock(&mu_);
    started = started_;
  }
  // A clean stop leaves everything synced and the progress recorded.
  if (started) {
    {
      absl::MutexLock lock(&mu_);
      while (sync_in_progress_) sync_done_.Wait(&mu_);
      if (synced_total_ < appended_total_) SyncOnceLocked();
    }
    MaintainOnce(/*checkpoint=*/true);
  }
  reader_.reset();
  reader_file_.reset();
  if (dir_fd_ >= 0) close(dir_fd_);
  if (lock_fd_ >= 0) close(lock_fd_);  // releases the flock
}

std::string SpoolQueue::SegmentPath(uint64_t seq) const {
  return absl::StrFormat("%s/seg-%020u.log", options_.dir, seq);
}

uint64_t SpoolQueue::ReservationBytes(size_t records, size_t bytes) const {
  return bytes + records * (spool::kFrameHeaderBytes + 4);
}

absl::Status SpoolQueue::Start() {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat(where_, ": cannot create the directory: ", ec.message()));
  }
  dir_fd_ = open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(where_, ": cannot open the directory: ", ErrnoText(errno)));
  }
  const std::string lock_path = options_.dir + "/LOCK";
  lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        where_, ": cannot create files in the directory: ", ErrnoText(errno)));
  }
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(where_, ": in use by another process (", lock_path,
                     " is locked)"));
  }
  {
    absl::MutexLock lock(&mu_);
    absl::Status st = Recover();
    if (!st.ok()) return st;
    started_ = true;
  }
  maintainer_ = std::thread([this] { Maintain(); });
  return absl::OkStatus();
}

absl::Status SpoolQueue::Recover() {
  std::vector<uint64_t> seqs;
  if (DIR* d = opendir(options_.dir.c_str())) {
    while (dirent* e = readdir(d)) {
      uint64_t seq;
      if (ParseSegmentName(e->d_name, &seq)) seqs.push_back(seq);
    }
    closedir(d);
  } else {
    return absl::FailedPreconditionError(
        absl::StrCat(where_, ": cannot list the directory: ", ErrnoText(errno)));
  }
  std::sort(seqs.begin(), seqs.end());
  const absl::optional<Position> cp = spool::ReadCheckpoint(options_.dir);
  uint64_t max_seq = cp ? cp->segment : 0;
  uint64_t replay_bytes = 0;
  bool have_start = false;
  for (uint64_t seq : seqs) {
    max_seq = std::max(max_seq, seq);
    const std::string path = SegmentPath(seq);
    if (cp && seq < cp->segment) {  // delivered before the checkpoint
      unlink(path.c_str());
      continue;
    }
    const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(where_, ": cannot open ", path, ": ", ErrnoText(errno)));
    }
    File file(fd);
    struct stat st;
    if (fstat(fd, &st) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(where_, ": cannot stat ", path, ": ", ErrnoText(errno)));
    }
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    char header[kSegmentHeaderBytes] = {};
    const bool header_ok =
        size >= kSegmentHeaderBytes &&
        pread(fd, header, kSegmentHeaderBytes, 0) ==
            static_cast<ssize_t>(kSegmentHeaderBytes) &&
        std::memcmp(header, spool::kSegmentHeader, kSegmentHeaderBytes) == 0;
    if (!header_ok) {
      if (size < kSegmentHeaderBytes) {
        // Created but never written: a crash during rotation.
        spdlog::warn("{}: removing {} (torn header, {} bytes)", where_, path,
                     size);
        stats_.torn_tails_cut.fetch_add(1);
        stats_.torn_bytes_cut.fetch_add(size);
        unlink(path.c_str());
      } else {
        spdlog::error("{}: {} is not a spool segment; renamed to .bad and "
                      "skipped",
                      where_, path);
        stats_.damaged_regions.fetch_add(1);
        stats_.damaged_bytes.fetch_add(size);
        rename(path.c_str(), (path + ".bad").c_str());
      }
      continue;
    }
    uint64_t from = kSegmentHeaderBytes;
    if (cp && seq == cp->segment) {
      from = std::min(std::max(cp->offset, from), size);
    }
    auto scan = spool::ScanSegment(fd, from, size);
    if (!scan.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(where_, ": reading ", path, ": ", scan.status().message()));
    }
    for (const spool::Region& r : scan->damaged) {
      spdlog::error("{}: {} bytes {}..{} are damaged; skipped (records there "
                    "are lost)",
                    where_, path, r.begin, r.end);
      stats_.damaged_regions.fetch_add(1);
      stats_.damaged_bytes.fetch_add(r.end - r.begin);
    }
    if (scan->torn_bytes > 0) {
      if (ftruncate(fd, static_cast<off_t>(scan->valid_end)) != 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            where_, ": cannot cut the torn tail of ", path, ": ",
            ErrnoText(errno)));
      }
      spdlog::warn("{}: cut a torn tail of {} bytes from {} at offset {}",
                   where_, scan->torn_bytes, path, scan->valid_end);
      stats_.torn_tails_cut.fetch_add(1);
      stats_.torn_bytes_cut.fetch_add(scan->torn_bytes);
    }
    Segment seg;
    seg.seq = seq;
    seg.size = scan->valid_end;
    seg.sealed = true;
    seg.damage = scan->damaged;
    if (!have_start) {
      read_ = watermark_ = checkpointed_ = Position{seq, from};
      have_start = true;
    }
    unread_records_ += scan->records;
    replay_bytes += scan->valid_end - from;
    segments_.push_back(std::move(seg));
  }
  used_bytes_ = replay_bytes;
  stats_.replayed_records.store(unread_records_);
  absl::Status st = OpenNewSegmentLocked(max_seq + 1);
  if (!st.ok()) return st;
  if (!have_start) {
    read_ = watermark_ = checkpointed_ =
        Position{max_seq + 1, kSegmentHeaderBytes};
  }
  AdvanceReaderLocked();
  ReleaseDeliveredLocked();
  if (unread_records_ > 0 || stats_.damaged_regions.load() > 0 ||
      stats_.torn_tails_cut.load() > 0) {
    spdlog::info("{}: {} undelivered records ({} bytes) to replay first; "
                 "{} torn tails cut, {} damaged regions skipped",
                 where_, unread_records_, replay_bytes,
                 stats_.torn_tails_cut.load(), stats_.damaged_regions.load());
  }
  return absl::OkStatus();
}

absl::Status SpoolQueue::OpenNewSegmentLocked(uint64_t seq) {
  const std::string path = SegmentPath(seq);
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    return IoError(errno, absl::StrCat(where_, ": cannot create ", path));
  }
  auto file = std::make_shared<File>(fd);
  int err = 0;
  if (!WriteAll(fd, spool::kSegmentHeader, kSegmentHeaderBytes, 0, &err) ||
      fdatasync(fd) != 0 || fsync(dir_fd_) != 0) {
    if (err == 0) err = errno;
    unlink(path.c_str());
    return IoError(err, absl::StrCat(where_, ": cannot write ", path));
  }
  Segment seg;
  seg.seq = seq;
  seg.size = kSegmentHeaderBytes;
  seg.file = std::move(file);
  segments_.push_back(std::move(seg));
  return absl::OkStatus();
}

absl::Status SpoolQueue::RotateLocked() {
  Segment& active = segments_.back();
  // Everything appended so far is in this file (older ones were synced when
  // they were sealed), so one fdatasync makes all of it durable.
  if (fdatasync(active.file->fd) != 0) {
    return IoError(errno, absl::StrCat(where_, ": fdatasync ",
                                       SegmentPath(active.seq)));
  }
  stats_.fsyncs.fetch_add(1, std::memory_order_relaxed);
  synced_total_ = std::max(synced_total_, appended_total_);
  sync_done_.SignalAll();
  const uint64_t next = active.seq + 1;
  absl::Status st = OpenNewSegmentLocked(next);
  if (!st.ok()) return st;
  // `active` may have moved: index from the back again.
  Segment& old = segments_[segments_.size() - 2];
  old.sealed = true;
  old.file.reset();
  AdvanceReaderLocked();
  ReleaseDeliveredLocked();
  return absl::OkStatus();
}

absl::Status SpoolQueue::SealActiveLocked() {
  Segment& active = segments_.back();
  if (fdatasync(active.file->fd) != 0) {
    return IoError(errno, absl::StrCat(where_, ": fdatasync ",
                                       SegmentPath(active.seq)));
  }
  stats_.fsyncs.fetch_add(1, std::memory_order_relaxed);
  synced_total_ = std::max(synced_total_, appended_total_);
  sync_done_.SignalAll();
  active.sealed = true;
  active.file.reset();
  AdvanceReaderLocked();
  ReleaseDeliveredLocked();
  return absl::OkStatus();
}

bool SpoolQueue::TryReserve(size_t records, size_t bytes) {
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

void SpoolQueue::Cancel(size_t records, size_t bytes) {
  absl::MutexLock lock(&mu_);
  used_bytes_ -= ReservationBytes(records, bytes);
}

void SpoolQueue::Commit(OutBatch records, size_t bytes) {
  absl::Status st = TryCommit(std::move(records), bytes);
  if (!st.ok()) {
    spdlog::error("{}: records lost: {}", where_, st.message());
  }
}

absl::Status SpoolQueue::TryCommit(OutBatch records, size_t bytes) {
  const uint64_t reserved = ReservationBytes(records.size(), bytes);
  std::string buf;
  size_t total = 0;
  for (const OutRecord& r : records) {
    total += spool::FrameBytes(r.partition_key.size(), r.data->size());
  }
  buf.reserve(total);
  for (const OutRecord& r : records) {
    spool::AppendFrame(buf, r.partition_key, *r.data);
  }
  uint64_t my_total;
  {
    absl::MutexLock lock(&mu_);
    auto fail = [&](absl::Status st) {
      used_bytes_ -= reserved;
      stats_.write_errors.fetch_add(1, std::memory_order_relaxed);
      return st;
    };
    if (!started_) {
      return fail(absl::FailedPreconditionError(
          absl::StrCat(where_, ": not started")));
    }
    if (segments_.empty() || segments_.back().sealed) {
      // A rotation failed earlier: try again to have a file to write.
      const uint64_t next = segments_.empty() ? read_.segment + 1
                                              : segments_.back().seq + 1;
      absl::Status st = OpenNewSegmentLocked(next);
      if (!st.ok()) return fail(st);
    }
    if (segments_.back().size > kSegmentHeaderBytes &&
        segments_.back().size + buf.size() >
            static_cast<uint64_t>(options_.segment_bytes)) {
      absl::Status st = RotateLocked();
      if (!st.ok()) {
        segments_.back().sealed = true;  // retry the rotation next time
        segments_.back().file.reset();
        return fail(st);
      }
    }
    Segment& active = segments_.back();
    int err = 0;
    if (!WriteAll(active.file->fd, buf.data(), buf.size(), active.size, &err)) {
      // Leave no partial frame behind: the next write starts cleanly here.
      if (ftruncate(active.file->fd, static_cast<off_t>(active.size)) != 0) {
        spdlog::error("{}: cannot cut a failed write: {}", where_,
                      ErrnoText(errno));
      }
      absl::Status st = IoError(err, absl::StrCat(where_, ": write to ",
                                                  SegmentPath(active.seq)));
      // Seal a segment that holds records, so it can be deleted once they
      // are delivered and the space comes back; the next commit opens a
      // new one (and fails cleanly while the disk is still full).
      if (active.size > kSegmentHeaderBytes) {
        if (absl::Status sealed = SealActiveLocked(); !sealed.ok()) {
          spdlog::error("{}: cannot seal after a failed write: {}", where_,
                        sealed.message());
        }
      }
      return fail(std::move(st));
    }
    active.size += buf.size();
    used_bytes_ = used_bytes_ - reserved + buf.size();
    unread_records_ += records.size();
    appended_total_ += buf.size();
    my_total = appended_total_;
    if (consumer_waiting_) data_ready_.Signal();
  }
  if (!options_.fsync_always) return absl::OkStatus();
  return WaitDurable(my_total);
}

absl::Status SpoolQueue::WaitDurable(uint64_t target) {
  absl::MutexLock lock(&mu_);
  while (true) {
    if (synced_total_ >= target) return absl::OkStatus();
    if (sync_failed_upto_ >= target) return sync_error_;
    if (!sync_in_progress_) {
      SyncOnceLocked();
      continue;
    }
    sync_done_.Wait(&mu_);
  }
}

void SpoolQueue::SyncOnceLocked() {
  if (segments_.empty() || !segments_.back().file) {
    // Sealed after a failed sync (a failed rotation): what it holds past
    // synced_total_ cannot be made durable here; fail those waiters rather
    // than spin.
    sync_failed_upto_ = std::max(sync_failed_upto_, appended_total_);
    sync_error_ = absl::DataLossError(
        absl::StrCat(where_, ": segment sealed before it could be synced"));
    sync_done_.SignalAll();
    return;
  }
  sync_in_progress_ = true;
  const uint64_t goal = appended_total_;
  std::shared_ptr<File> file = segments_.back().file;
  const uint64_t seq = segments_.back().seq;
  mu_.Unlock();
  const int rc = fdatasync(file->fd);
  const int err = errno;
  mu_.Lock();
  sync_in_progress_ = false;
  stats_.fsyncs.fetch_add(1, std::memory_order_relaxed);
  if (rc == 0) {
    synced_total_ = std::max(synced_total_, goal);
  } else {
    sync_failed_upto_ = std::max(sync_failed_upto_, goal);
    sync_error_ = IoError(err, absl::StrCat(where_, ": fdatasync ",
                                            SegmentPath(seq)));
    spdlog::error("{}", sync_error_.message());
  }
  sync_done_.SignalAll();
}

SpoolQueue::Segment* SpoolQueue::FindLocked(uint64_t seq) {
  for (Segment& s : segments_) {
    if (s.seq == seq) return &s;
  }
  return nullptr;
}

void SpoolQueue::AdvanceReaderLocked() {
  const uint64_t before = read_.segment;
  AdvanceReaderOnceLocked();
  // Moving on may be the last thing a delivered, sealed segment waited for
  // (its batches completed while the reader still stood at its end).
  if (read_.segment != before) ReleaseDeliveredLocked();
}

void SpoolQueue::AdvanceReaderOnceLocked() {
  while (true) {
    Segment* s = FindLocked(read_.segment);
    if (s == nullptr) {
      // Deleted or skipped: continue at the next segment there is.
      auto it = std::find_if(segments_.begin(), segments_.end(),
                             [&](const Segment& x) { return x.seq > read_.segment; });
      if (it == segments_.end()) return;
      read_ = Position{it->seq, kSegmentHeaderBytes};
      continue;
    }
    if (!s->sealed || read_.offset < s->size) return;
    auto it = std::find_if(segments_.begin(), segments_.end(),
                           [&](const Segment& x) { return x.seq > read_.segment; });
    if (it == segments_.end()) return;
    read_ = Position{it->seq, kSegmentHeaderBytes};
  }
}

bool SpoolQueue::HasUnreadLocked() {
  AdvanceReaderLocked();
  Segment* s = FindLocked(read_.segment);
  return s != nullptr && read_.offset < s->size;
}

bool SpoolQueue::Pop(OutBatch& out, size_t max_records, absl::Duration wait) {
  QueueBatch batch;
  const bool more = PopBatch(batch, max_records, wait);
  out = std::move(batch.records);
  if (batch.done) std::move(batch.done)();
  return more;
}

bool SpoolQueue::PopBatch(QueueBatch& out, size_t max_records,
                          absl::Duration wait) {
  out.records.clear();
  out.done = [] {};
  Position start;
  uint64_t end;
  std::vector<spool::Region> damage;
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
    Segment* s = FindLocked(read_.segment);
    end = s->size;
    damage = s->damage;
    if (reader_seq_ != s->seq || !reader_) {
      std::shared_ptr<File> file = s->file;
      if (!file) {
        const int fd = open(SegmentPath(s->seq).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
          spdlog::error("{}: cannot open {} to read: {}", where_,
                        SegmentPath(s->seq), ErrnoText(errno));
          return true;
        }
        file = std::make_shared<File>(fd);
      }
      reader_file_ = std::move(file);
      reader_ = std::make_unique<spool::FrameReader>(reader_file_->fd, end);
      reader_seq_ = s->seq;
    }
  }
  // Read outside the lock: appended bytes never change, and the segment
  // cannot be deleted before the reader has passed it.
  reader_->set_end(end);
  uint64_t off = start.offset;
  uint64_t batch_bytes = 0;
  while (off < end && out.records.size() < max_records &&
         batch_bytes < kPopWindowBytes) {
    FrameView f;
    auto r = reader_->ReadAt(off, &f);
    if (!r.ok()) {
      spdlog::error("{}: reading {}: {}", where_, SegmentPath(start.segment),
                    r.status().message());
      break;
    }
    if (*r == FrameParse::kOk) {
      out.records.push_back(OutRecord{
          std::make_shared<const std::string>(f.data), std::string(f.key)});
      batch_bytes += f.size;
      off += f.size;
      continue;
    }
    auto next = reader_->Resync(off);
    if (!next.ok()) {
      spdlog::error("{}: reading {}: {}", where_, SegmentPath(start.segment),
                    next.status().message());
      break;
    }
    const bool known = std::any_of(damage.begin(), damage.end(),
                                   [&](const spool::Region& d) {
                                     return d.begin == off;
                                   });
    if (!known) {
      spdlog::error("{}: {} bytes {}..{} are damaged; skipped", where_,
                    SegmentPath(start.segment), off, *next);
      stats_.damaged_regions.fetch_add(1);
      stats_.damaged_bytes.fetch_add(*next - off);
    }
    off = *next;
  }
  if (off == start.offset) {
    // Nothing could be read (an I/O error): do not spin on it.
    absl::SleepFor(std::min(wait, absl::Milliseconds(100)));
    return true;
  }
  absl::MutexLock lock(&mu_);
  read_.offset = off;
  unread_records_ -= out.records.size();
  InFlight f;
  f.id = next_batch_id_++;
  f.end = read_;
  f.bytes = off - start.offset;
  inflight_.push_back(f);
  AdvanceReaderLocked();
  const uint64_t id = f.id;
  if (out.records.empty()) {
    inflight_.back().done = true;  // only damaged bytes were passed over
    ReleaseDeliveredLocked();
  } else {
    out.done = [this, id] { Complete(id); };
  }
  return true;
}

void SpoolQueue::Complete(uint64_t batch_id) {
  absl::MutexLock lock(&mu_);
  if (inflight_.empty() || batch_id < inflight_.front().id) return;
  const uint64_t index = batch_id - inflight_.front().id;
  if (index >= inflight_.size()) return;
  inflight_[index].done = true;
  ReleaseDeliveredLocked();
}

void SpoolQueue::ReleaseDeliveredLocked() {
  while (!inflight_.empty() && inflight_.front().done) {
    watermark_ = inflight_.front().end;
    used_bytes_ -= inflight_.front().bytes;
    inflight_.pop_front();
  }
  // A sealed segment goes once the watermark is past its end and the reader
  // has moved on.
  while (!segments_.empty()) {
    const Segment& s = segments_.front();
    const bool delivered =
        s.seq < watermark_.segment ||
        (s.seq == watermark_.segment && watermark_.offset >= s.size);
    if (!s.sealed || !delivered || read_.segment <= s.seq) break;
    if (reader_seq_ == s.seq) {
      // Close the reader's descriptor too, or the space stays taken after
      // the unlink. The consumer is done with it: it reads only at
      // read_.segment, which is past this one.
      reader_.reset();
      reader_file_.reset();
    }
    to_delete_.push_back(s.seq);
    segments_.pop_front();
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

void SpoolQueue::CollectMetrics(metrics::MetricsWriter& out) const {
  auto load = [](const std::atomic<uint64_t>& v) {
    return static_cast<double>(v.load(std::memory_order_relaxed));
  };
  out.Gauge("streamgate_module_spool_bytes",
            "Bytes the module's spool holds for records not yet settled "
            "(what max_bytes bounds).",
            {}, static_cast<double>(used_bytes()));
  out.Gauge("streamgate_module_spool_segments",
            "Segment files of the module's spool on disk.", {},
            static_cast<double>(segment_count()));
  out.Gauge("streamgate_module_spool_max_bytes",
            "The module's spool.max_bytes.", {},
            static_cast<double>(options_.max_bytes));
  out.Counter("streamgate_module_spool_fsyncs_total",
              "fdatasync calls on the module's spool.", {}, load(stats_.fsyncs));
  out.Counter("streamgate_module_spool_write_errors_total",
              "Spool writes or syncs that failed (the input was refused).", {},
              load(stats_.write_errors));
  out.Counter("streamgate_module_spool_replayed_records_total",
              "Undelivered records found in the spool at start and replayed.",
              {}, load(stats_.replayed_records));
  out.Counter("streamgate_module_spool_torn_tails_total",
              "Torn segment tails cut at start (a crash mid-write).", {},
              load(stats_.torn_tails_cut));
  out.Counter("streamgate_module_spool_damaged_regions_total",
              "Corrupt spool regions skipped (CRC mismatch).", {},
              load(stats_.damaged_regions));
  out.Counter("streamgate_module_spool_damaged_bytes_total",
              "Bytes of corrupt spool regions skipped.", {},
              load(stats_.damaged_bytes));
  out.Counter("streamgate_module_spool_segments_deleted_total",
              "Spool segments deleted after every record was settled.", {},
              load(stats_.segments_deleted));
}

size_t SpoolQueue::segment_count() const {
  absl::MutexLock lock(&mu_);
  return segments_.size() + to_delete_.size();
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
      if (!options_.fsync_always && synced_total_ < appended_total_ &&
          !sync_in_progress_) {
        SyncOnceLocked();
      }
    }
    // The checkpoint costs a write, an fdatasync and a rename: rewrite it
    // at most every kCheckpointEvery, however short the fsync interval.
    const bool due = absl::Now() - last_checkpoint >= kCheckpointEvery;
    if (due) last_checkpoint = absl::Now();
    MaintainOnce(due);
  }
}

void SpoolQueue::MaintainOnce(bool checkpoint) {
  std::vector<uint64_t> doomed;
  Position mark;
  bool write;
  {
    absl::MutexLock lock(&mu_);
    doomed.swap(to_delete_);
    mark = watermark_;
    write = checkpoint && mark != checkpointed_;
  }
  if (write) {
    absl::Status st = spool::WriteCheckpoint(options_.dir, mark);
    if (st.ok()) {
      absl::MutexLock lock(&mu_);
      checkpointed_ = mark;
    } else {
      spdlog::error("{}: checkpoint: {}", where_, st.message());
    }
  }
  // Either order is safe: a restart whose checkpoint points into a deleted
  // segment starts at the oldest segment left, all of it undelivered.
  for (uint64_t seq : doomed) {
    if (unlink(SegmentPath(seq).c_str()) == 0) {
      stats_.segments_deleted.fetch_add(1, std::memory_order_relaxed);
    } else if (errno != ENOENT) {
      spdlog::error("{}: cannot delete {}: {}", where_, SegmentPath(seq),
                    ErrnoText(errno));
    }
  }
}

}  // namespace streamgate
