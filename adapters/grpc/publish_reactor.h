// PublishReactor: one per Publish stream (gRPC callback API, raw method:
// requests and responses are grpc::ByteBuffer). Each request is parsed here
// (ParseRequest: a request that does not parse is answered INVALID_ARGUMENT
// with the reason, under the id it carries when that can be read) and
// handed to Ingest's asynchronous methods inside OnReadDone; the next read
// starts without waiting for the answer, so while a spool syncs one item
// the stream goes on reading, and the items in flight share a group
// commit. Each item takes a slot in arrival order; responses (one per item,
// carrying its id) are written from the front as their slots are answered,
// so they stay in request order. Rejected items are logged through
// RejectLog. Slots are bounded by the window: when it is full the reactor
// stops reading until it drains to half, so a client that does not read its
// acks cannot grow server memory. Writes with more answered responses
// behind them carry buffer_hint, so a burst costs one flush. The parsed
// request is reused between small items and released after a large one.
//
// Threading: gRPC may run OnReadDone and OnWriteDone concurrently on its
// callback threads, and Ingest answers on a spool's commit thread; the
// shared state is under mu_. Deletes itself in OnDone, which comes only
// after Finish, which waits for every answer.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "adapters/grpc/api_key_auth.h"
#include "adapters/grpc/reject_log.h"
#include "gateway/api/ingest.h"
#include "gateway/api/rejects.h"
#include "grpcpp/grpcpp.h"
#include "streamgate/v1/gateway.pb.h"

namespace streamgate {

class PublishReactor
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // `caller` was authenticated at stream start; every item is its. The
  // references outlive the stream (the adapter's server waits for it).
  PublishReactor(Ingest &ingest, size_t window, AuthenticatedCaller caller,
                 DoorRejects &rejects, RejectLog &log, std::string peer);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;
  void OnCancel() override {}

 private:
  // A response waiting to be written, in request order.
  struct Slot {
    grpc::ByteBuffer bytes;
    bool ready = false;  // answered
  };
  // Parses read_ and hands the item to Ingest; `slot` gets its answer.
  void Handle(Slot *slot);
  // Fills `slot` with `resp` and writes what is ready.
  void Answer(Slot *slot, const v1::PublishResponse &resp);
  // Drops request_'s and scratch_'s allocations after a large item, so an
  // idle stream does not hold its largest batch.
  void ReleaseLargeBuffers(size_t item_bytes);
  // Starts the next write if none is in flight.
  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Ingest &ingest_;
  DoorRejects &rejects_;
  RejectLog &log_;
  const size_t window_;
  const AuthenticatedCaller caller_;
  const std::string peer_;
  // Only touched by the single outstanding read and its OnReadDone.
  grpc::ByteBuffer read_;
  v1::PublishRequest request_;  // reused while items are small
  std::vector<EventInput> scratch_;

  absl::Mutex mu_;
  // References stay valid: only push_back and pop_front.
  std::deque<Slot> pending_ ABSL_GUARDED_BY(mu_);
  size_t unanswered_ ABSL_GUARDED_BY(mu_) = 0;  // slots not ready
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;  // a write failed
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace streamgate
