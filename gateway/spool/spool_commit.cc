// SpoolQueue's group commit (see spool_queue.h): the committer queue,
// DoPrepare / DoPrepareAsync, the leader's CommitGroupLocked, and the commit
// thread (fsync always) with the answers it runs.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/spool/segment_format.h"
#include "gateway/spool/spool_queue.h"

namespace streamgate {

using spool::Position;

namespace {

// A group commit writes at most this much (one larger input still goes
// alone), so a leader does not wait on a huge write for others.
constexpr size_t kMaxGroupBytes = 1 << 20;

std::string EncodeFrames(const OutBatch& records) {
  std::string frames;
  size_t total = 0;
  for (const OutRecord& r : records) {
    total += spool::FrameBytes(r.partition_key.size(), r.data->size());
  }
  frames.reserve(total);
  for (const OutRecord& r : records) {
    spool::AppendFrame(frames, r.partition_key, *r.data);
  }
  return frames;
}

}  // namespace

absl::StatusOr<uint64_t> SpoolQueue::DoPrepare(OutBatch& records,
                                               size_t bytes) {
  const std::string frames = EncodeFrames(records);
  Committer c;
  c.frames = frames;
  c.records = records.size();
  c.reserved = ReservationBytes(records.size(), bytes);
  records.clear();
  std::vector<std::unique_ptr<Committer>> answered;
  {
    absl::MutexLock lock(&mu_);
    if (!started_) {
      used_bytes_ -= c.reserved;
      context_.stats.write_errors.fetch_add(1, std::memory_order_relaxed);
      return absl::FailedPreconditionError(
          absl::StrCat(context_.where, ": not started"));
    }
    committers_.push_back(&c);
    // The front leads, unless the commit thread is already leading a group
    // (with this one in it, or ahead of it).
    if (committers_.front() != &c || leading_) {
      context_.stats.commits_waiting.fetch_add(1, std::memory_order_relaxed);
      while (!c.done && (committers_.front() != &c || leading_)) {
        c.cv.Wait(&mu_);
      }
      context_.stats.commits_waiting.fetch_sub(1, std::memory_order_relaxed);
    }
    // Not answered by a leader: lead the group now at the front.
    if (!c.done) CommitGroupLocked(answered);
  }
  RunAnswers(answered);
  if (!c.status.ok()) return c.status;
  return c.ticket;
}

void SpoolQueue::DoPrepareAsync(OutBatch& records, size_t bytes,
                                PrepareDone done) {
  // Without fsync always a commit is a write: quick enough to do here.
  if (!options_.fsync_always) {
    done(DoPrepare(records, bytes));
    return;
  }
  auto c = std::make_unique<Committer>();
  c->owned_frames = EncodeFrames(records);
  c->frames = c->owned_frames;
  c->records = records.size();
  c->reserved = ReservationBytes(records.size(), bytes);
  records.clear();
  bool started;
  {
    absl::MutexLock lock(&mu_);
    started = started_;
    if (started_ && !stopping_) {
      c->answer = std::move(done);
      // The commit thread leads it (mu_'s Await sees the new front).
      committers_.push_back(c.release());
      return;
    }
    used_bytes_ -= c->reserved;
    context_.stats.write_errors.fetch_add(1, std::memory_order_relaxed);
  }
  done(absl::FailedPreconditionError(
      absl::StrCat(context_.where, started ? ": stopping" : ": not started")));
}

bool SpoolQueue::CommitThreadHasWorkLocked() const {
  if (committers_.empty()) return stopping_;
  return !leading_ && static_cast<bool>(committers_.front()->answer);
}

void SpoolQueue::CommitLoop() {
  std::vector<std::unique_ptr<Committer>> answered;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &SpoolQueue::CommitThreadHasWorkLocked));
      // Stopping with nothing queued (producers are refused by then).
      if (committers_.empty()) return;
      CommitGroupLocked(answered);
      answering_ = true;
    }
    RunAnswers(answered);
    // One wake-up for everything the answers published, so the consumer
    // takes the group in one Pop rather than one input per wake-up.
    absl::MutexLock lock(&mu_);
    answering_ = false;
    if (consumer_waiting_) data_ready_.Signal();
  }
}

void SpoolQueue::RunAnswers(std::vector<std::unique_ptr<Committer>>& answered) {
  for (std::unique_ptr<Committer>& c : answered) {
    if (c->status.ok()) {
      c->answer(c->ticket);
    } else {
      c->answer(c->status);
    }
  }
  answered.clear();
}

void SpoolQueue::CommitGroupLocked(
    std::vector<std::unique_ptr<Committer>>& answered) {
  leading_ = true;
  // The group: the leader and those queued behind it, up to a bound so a
  // leader's own latency stays reasonable.
  std::vector<Committer*> group;
  size_t group_bytes = 0;
  for (Committer* c : committers_) {
    if (!group.empty() && group_bytes + c->frames.size() > kMaxGroupBytes) {
      break;
    }
    group.push_back(c);
    group_bytes += c->frames.size();
  }
  std::string joined;
  absl::string_view write = group.front()->frames;
  if (group.size() > 1) {
    joined.reserve(group_bytes);
    for (const Committer* c : group) {
      joined.append(c->frames.data(), c->frames.size());
    }
    write = joined;
  }
  bool sealed = false;
  Position at;
  absl::StatusOr<uint64_t> appended = writer_.AppendLocked(write, &at, &sealed);
  context_.stats.commit_writes.fetch_add(1, std::memory_order_relaxed);
  context_.stats.commits.fetch_add(group.size(), std::memory_order_relaxed);
  if (sealed) {
    AdvanceReaderLocked();
    ReleaseDeliveredLocked();
  }
  absl::Status status = appended.status();
  if (appended.ok()) {
    // Registered before the sync releases the lock: the reader stops at
    // the group's first frame until its inputs are published.
    uint64_t offset = at.offset;
    for (Committer* c : group) {
      c->ticket = next_ticket_++;
      prepared_[c->ticket] = Prepared{Position{at.segment, offset},
                                      offset + c->frames.size(), c->records};
      offset += c->frames.size();
      used_bytes_ = used_bytes_ - c->reserved + c->frames.size();
    }
    // Still under the lock that covered the append: no sync can slip
    // between. Newcomers queue behind the leader while it syncs.
    if (options_.fsync_always) status = writer_.WaitDurableLocked(*appended);
    if (!status.ok()) {
      for (Committer* c : group) AbortPreparedLocked(c->ticket);
    }
  } else {
    for (Committer* c : group) used_bytes_ -= c->reserved;
  }
  if (!status.ok()) {
    context_.stats.write_errors.fetch_add(group.size(),
                                          std::memory_order_relaxed);
  }
  for (Committer* c : group) {
    committers_.pop_front();
    c->status = status;
    c->done = true;
    if (c->answer) {
      answered.emplace_back(c);  // the queue owned it
    } else if (c != group.front()) {
      c->cv.Signal();
    }
  }
  leading_ = false;
  // The next front leads: its own thread, or the commit thread (which
  // mu_'s Await wakes by itself).
  if (!committers_.empty() && !committers_.front()->answer) {
    committers_.front()->cv.Signal();
  }
}

}  // namespace streamgate
