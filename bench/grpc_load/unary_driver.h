// Drives unary PublishEvent calls, `inflight` outstanding, on one thread
// polling its own CompletionQueue (no callback-executor hop, so the client
// stays cheap). RESOURCE_EXHAUSTED answers are counted and the same event is
// re-sent after a backoff. Single-threaded: Run() is called once.
#pragma once

#include <memory>
#include <vector>

#include "bench/grpc_load/event_factory.h"
#include "bench/grpc_load/load_options.h"
#include "bench/grpc_load/run_stats.h"
#include "grpcpp/grpcpp.h"
#include "streamgate/v1/gateway.grpc.pb.h"

namespace streamgate::bench {

class UnaryDriver {
 public:
  UnaryDriver(streamgate::v1::Gateway::Stub& stub, const LoadOptions& options,
              const EventFactory& events);

  RunStats Run();

 private:
  struct Call {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<grpc::ClientAsyncResponseReader<streamgate::v1::PublishResponse>>
        reader;
    streamgate::v1::PublishResponse response;
    grpc::Status status;
    int64_t sent_nanos = 0;
    size_t pool_index = 0;
    int64_t retry_at = 0;  // when waiting to retry; 0 otherwise
  };

  bool MayStartNew(int64_t now) const;
  void Start(Call& call, size_t pool_index, int64_t now);
  void StartDueRetries(int64_t now);
  void CancelAll();

  streamgate::v1::Gateway::Stub& stub_;
  const LoadOptions& options_;
  std::vector<streamgate::v1::Event> pool_;
  grpc::CompletionQueue cq_;
  std::vector<Call> calls_;
  std::vector<Call*> waiting_;  // RESOURCE_EXHAUSTED, to re-send
  RunStats stats_;
  int active_ = 0;
  size_t next_pool_index_ = 0;
  int64_t deadline_ = 0;
  bool cancelled_ = false;
};

}  // namespace streamgate::bench
