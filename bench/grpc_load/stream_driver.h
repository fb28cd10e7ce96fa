// Drives one bidirectional Publish stream (one event or one EventBatch per
// message) on one thread polling its own CompletionQueue.
//
// Send window: at most `window` messages unanswered. A burst fills the
// window with buffer-hinted writes, only its last write flushing, and the
// next burst starts once the window is half empty: this batches many
// messages per HTTP/2 write instead of one syscall and wake-up each.
// RESOURCE_EXHAUSTED items are counted and re-sent (new id) after a backoff.
// Single-threaded: Run() is called once.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "bench/grpc_load/event_factory.h"
#include "bench/grpc_load/load_options.h"
#include "bench/grpc_load/run_stats.h"
#include "grpcpp/grpcpp.h"
#include "streamgate/v1/gateway.grpc.pb.h"

namespace streamgate::bench {

class StreamDriver {
 public:
  StreamDriver(streamgate::v1::Gateway::Stub& stub, const LoadOptions& options,
               const EventFactory& events);

  RunStats Run();

 private:
  enum Tag : intptr_t { kStart = 1, kWrite, kRead, kWritesDone, kFinish };
  struct Pending {
    int64_t sent_nanos;
    uint32_t pool_index;
  };
  struct Retry {
    int64_t due_nanos;
    uint32_t pool_index;
  };

  bool MayStartNew(int64_t now) const;
  bool HaveItem(int64_t now) const;
  void MaybeWrite();
  void HandleResponse(int64_t now);
  void Abort(std::string why);

  streamgate::v1::Gateway::Stub& stub_;
  const LoadOptions& options_;
  const int events_per_message_;
  std::vector<streamgate::v1::PublishRequest> pool_;
  grpc::ClientContext context_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::ClientAsyncReaderWriter<streamgate::v1::PublishRequest,
                                                streamgate::v1::PublishResponse>>
      stream_;
  streamgate::v1::PublishResponse response_;
  grpc::Status final_status_;

  absl::flat_hash_map<uint64_t, Pending> pending_;  // by request id
  std::deque<Retry> retries_;  // due times are non-decreasing
  RunStats stats_;
  uint64_t next_id_ = 1;
  size_t next_pool_index_ = 0;
  int burst_left_ = 0;
  int64_t deadline_ = 0;
  bool writing_ = false;        // a Write or WritesDone is outstanding
  bool writes_done_ = false;    // WritesDone issued
  bool reading_ = false;        // a Read is outstanding
  bool finishing_ = false;      // Finish issued
  bool finished_ = false;
  bool broken_ = false;         // a write failed or we aborted: send nothing
};

}  // namespace streamgate::bench
