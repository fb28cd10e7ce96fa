// PublishReactor: one per Publish stream (gRPC callback API). Each request is
// ingested inside OnReadDone (ingest never blocks) and answered with one
// response carrying its id. Responses queue in a bounded window: when it is
// full the reactor stops reading until writes drain to half, so a client
// that does not read its acks cannot grow server memory. Writes with more
// responses queued behind them carry buffer_hint, so a burst costs one flush.
//
// Threading: gRPC may run OnReadDone and OnWriteDone concurrently on its
// callback threads; the shared state is under mu_. Deletes itself in OnDone.
#pragma once

#include <deque>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "adapters/grpc/api_key_auth.h"
#include "gateway/api/rejects.h"
#include "gateway/api/ingest.h"
#include "grpcpp/grpcpp.h"
#include "streamgate/v1/gateway.pb.h"

namespace streamgate {

class PublishReactor
    : public grpc::ServerBidiReactor<v1::PublishRequest, v1::PublishResponse> {
 public:
  // `caller` was authenticated at stream start; every item is its.
  PublishReactor(Ingest& ingest, size_t window, AuthenticatedCaller caller,
                 DoorRejects& rejects);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;
  void OnCancel() override {}

 private:
  v1::PublishResponse Handle(const v1::PublishRequest& request);
  // Starts the next write if none is in flight. Requires mu_.
  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Ingest& ingest_;
  DoorRejects& rejects_;
  const size_t window_;
  const AuthenticatedCaller caller_;
  v1::PublishRequest request_;  // only touched by the single outstanding read
  std::vector<EventInput> scratch_;

  absl::Mutex mu_;
  std::deque<v1::PublishResponse> pending_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;  // a write failed
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace streamgate
