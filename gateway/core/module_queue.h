// ModuleQueue: the bounded buffer between ingest and one module's sink.
// "Accepted" means "the queue took it"; the client's ack follows from that
// alone. Producers Reserve room in every module of an input first, then
// Prepare each reservation (a spool writes and syncs the records, still
// hidden from its consumer), then Publish each once all prepared, so an
// input is queued everywhere or nowhere: a reservation dropped unprepared
// gives its room back, one dropped prepared is aborted (its records are
// never delivered). The consumer Pops a batch with its completion, which it
// runs with the sink's DeliveryReport; a durable queue frees a batch's
// storage only then, and only when nothing of it was left undelivered. Two
// implementations:
// MemoryQueue (gateway/core/) and SpoolQueue (gateway/spool/, durable on
// disk; its Prepare can fail).
//
// PrepareAsync is phase one without blocking the caller: a spool with
// fsync always answers from its commit thread once the group commit that
// covers the records has synced, so callers that must not block (gRPC
// callback threads) still share one fdatasync; other queues answer inline.
//
// Threading: any number of producers (ingest threads), one consumer (the
// module's worker thread). A batch's done callback may run on any thread,
// always before the queue is destroyed. A PrepareAsync completion runs on
// the calling thread before PrepareAsync returns, or on the queue's commit
// thread, always before the queue is destroyed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/api/record.h"
#include "gateway/api/sink.h"

namespace streamgate {

namespace metrics {
class MetricsWriter;  // gateway/api/metrics_writer.h
}
class ModuleQueue;

// Room reserved in one queue for a known number of records and bytes.
// Move-only; destroying it uncommitted gives the room back.
class QueueReservation {
 public:
  QueueReservation() = default;
  QueueReservation(QueueReservation&& other) noexcept {
    *this = std::move(other);
  }
  QueueReservation& operator=(QueueReservation&& other) noexcept;
  QueueReservation(const QueueReservation&) = delete;
  QueueReservation& operator=(const QueueReservation&) = delete;
  ~QueueReservation() { Release(); }

  // False when the queue was full or closed.
  explicit operator bool() const { return queue_ != nullptr; }

  // Phase one: stores `records`, whose count and byte total
  // (OutRecord::size()) are the reservation's, without exposing them to
  // the consumer. OK means stored (a spool: written, and synced when its
  // fsync policy says so). On error the room is given back, the
  // reservation is empty, and the caller must not acknowledge the input.
  absl::Status Prepare(OutBatch records);

  // Phase one without blocking: `done` runs exactly once with what Prepare
  // would return, either before this returns or later on the queue's
  // commit thread (no lock of the queue held). The reservation must stay
  // where it is, untouched, until then.
  void PrepareAsync(OutBatch records,
                    absl::AnyInvocable<void(absl::Status)> done);

  // Phase two, once every module of the input prepared: the consumer may
  // now take the records. Destroying a prepared reservation instead aborts
  // it: its records are never delivered.
  void Publish() &&;

  // Prepare, then Publish on OK: for an input that goes to this queue only.
  absl::Status Commit(OutBatch records) &&;

 private:
  friend class ModuleQueue;
  QueueReservation(ModuleQueue* queue, size_t records, size_t bytes)
      : queue_(queue), records_(records), bytes_(bytes) {}
  void Release();

  ModuleQueue* queue_ = nullptr;
  size_t records_ = 0;
  size_t bytes_ = 0;
  bool prepared_ = false;
  uint64_t ticket_ = 0;  // the queue's name for the prepared input
  OutBatch held_;        // what a queue without phase one keeps until Publish
};

// What Pop hands out: records, and the completion to run exactly once with
// the sink's report when every one of them is settled (Sink::Deliver's
// `done`).
struct QueueBatch {
  OutBatch records;
  DeliveryDone done;
};

class ModuleQueue {
 public:
  virtual ~ModuleQueue() = default;

  // Opens what the queue needs (a spool's directory and files, replaying
  // what a previous run left). Called once, before the first Reserve.
  virtual absl::Status Start() { return absl::OkStatus(); }

  // Room for `records` records of `bytes` bytes in total; an empty
  // reservation when the queue is full or closed.
  QueueReservation Reserve(size_t records, size_t bytes) {
    if (!DoReserve(records, bytes)) return QueueReservation();
    return QueueReservation(this, records, bytes);
  }

  // Moves up to `max_records` queued records into `out.records` and sets
  // `out.done`, waiting up to `wait` for the first record (an empty batch
  // then). Returns false once the queue is closed and drained (a durable
  // queue: closed; what is left stays for the next start).
  virtual bool Pop(QueueBatch& out, size_t max_records,
                   absl::Duration wait) = 0;

  // Refuses further reservations; Pop drains what is left, then ends.
  virtual void Close() = 0;

  // Records queued and not yet popped.
  virtual size_t depth() const = 0;

  // True when queued records survive a restart.
  virtual bool durable() const { return false; }

  // Adds the queue's own metrics (a spool's size, fsyncs, recoveries) when
  // /metrics is scraped, from the scrape thread, without the module label.
  virtual void CollectMetrics(metrics::MetricsWriter& out) const {}

 protected:
  friend class QueueReservation;
  // True when the room was taken.
  virtual bool DoReserve(size_t records, size_t bytes) = 0;
  // Phase one for records whose room was reserved. A queue that stores
  // nothing before Publish leaves `records` alone (the reservation holds
  // them) and returns any ticket; one that stores takes them and returns
  // the ticket DoPublish / DoAbort will name them by. On error releases
  // the room.
  virtual absl::StatusOr<uint64_t> DoPrepare(OutBatch& records, size_t bytes) {
    return 0;
  }
  using PrepareDone = absl::AnyInvocable<void(absl::StatusOr<uint64_t>)>;
  // DoPrepare without blocking: takes or leaves `records` as DoPrepare does
  // before it returns, and runs `done` with DoPrepare's result, inline or
  // later from a thread of the queue's own, with none of its locks held.
  virtual void DoPrepareAsync(OutBatch& records, size_t bytes,
                              PrepareDone done) {
    done(DoPrepare(records, bytes));
  }
  // Phase two: exposes the prepared input; `records` are what DoPrepare
  // left in the reservation.
  virtual void DoPublish(uint64_t ticket, OutBatch records, size_t bytes) = 0;
  // A prepared input that will not be published: its records must never
  // reach the consumer, and its room comes back.
  virtual void DoAbort(uint64_t ticket, size_t records, size_t bytes) {
    DoCancel(records, bytes);
  }
  // Gives back room that will not be prepared.
  virtual void DoCancel(size_t records, size_t bytes) = 0;
};

inline QueueReservation& QueueReservation::operator=(
    QueueReservation&& other) noexcept {
  if (this != &other) {
    Release();
    queue_ = std::exchange(other.queue_, nullptr);
    records_ = other.records_;
    bytes_ = other.bytes_;
    prepared_ = std::exchange(other.prepared_, false);
    ticket_ = other.ticket_;
    held_ = std::move(other.held_);
  }
  return *this;
}

inline void QueueReservation::Release() {
  ModuleQueue* queue = std::exchange(queue_, nullptr);
  if (queue == nullptr) return;
  if (std::exchange(prepared_, false)) {
    held_.clear();
    queue->DoAbort(ticket_, records_, bytes_);
  } else {
    queue->DoCancel(records_, bytes_);
  }
}

inline absl::Status QueueReservation::Prepare(OutBatch records) {
  if (queue_ == nullptr || prepared_) {
    return absl::FailedPreconditionError("prepare of an empty reservation");
  }
  absl::StatusOr<uint64_t> ticket = queue_->DoPrepare(records, bytes_);
  if (!ticket.ok()) {
    queue_ = nullptr;  // DoPrepare gave the room back
    return ticket.status();
  }
  prepared_ = true;
  ticket_ = *ticket;
  held_ = std::move(records);
  return absl::OkStatus();
}

inline void QueueReservation::PrepareAsync(
    OutBatch records, absl::AnyInvocable<void(absl::Status)> done) {
  if (queue_ == nullptr || prepared_) {
    done(absl::FailedPreconditionError("prepare of an empty reservation"));
    return;
  }
  // held_ is what a queue without phase one keeps; a storing queue empties
  // it before DoPrepareAsync returns.
  held_ = std::move(records);
  queue_->DoPrepareAsync(
      held_, bytes_,
      [this, done = std::move(done)](absl::StatusOr<uint64_t> ticket) mutable {
        if (!ticket.ok()) {
          queue_ = nullptr;  // DoPrepareAsync gave the room back
          held_.clear();
          done(ticket.status());
          return;
        }
        prepared_ = true;
        ticket_ = *ticket;
        done(absl::OkStatus());
      });
}

inline void QueueReservation::Publish() && {
  if (queue_ == nullptr || !prepared_) return;
  prepared_ = false;
  std::exchange(queue_, nullptr)->DoPublish(ticket_, std::move(held_), bytes_);
}

inline absl::Status QueueReservation::Commit(OutBatch records) && {
  absl::Status st = Prepare(std::move(records));
  if (st.ok()) std::move(*this).Publish();
  return st;
}

}  // namespace streamgate
