// GrpcPublisher: publishes the simulated devices' messages to the gateway's
// streamgate.v1.Gateway service, either on one Publish stream (events in
// EventBatch requests of `batch`, bulk data one request each, at most
// `window` requests unanswered) or with unary PublishEvent / PublishBulkData
// calls from `inflight` threads. Each answer is counted as acked (code OK) or
// failed by its gRPC code name; nothing is retried, so the counts say exactly
// what the gateway accepted.
//
// Threading: Run() on one thread; it starts and joins its own helper threads
// (the stream's reader, or the unary callers).
#pragma once

#include "absl/strings/string_view.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "streamgate/v1/gateway.grpc.pb.h"
#include "tools/sim/message_source.h"
#include "tools/sim/pacer.h"
#include "tools/sim/sim_options.h"
#include "tools/sim/sim_stats.h"

namespace streamgate::sim {

// "OK", "RESOURCE_EXHAUSTED", ... for a google.rpc.Code value.
std::string GrpcCodeName(int code);
// The name a failure is counted under: GrpcCodeName, except
// "MESSAGE_TOO_LARGE" for RESOURCE_EXHAUSTED from gRPC's own message-size
// limit ("Received message larger than max"), which is not backpressure and
// must not be retried as such.
std::string FailureCode(int code, absl::string_view message);

class GrpcPublisher {
 public:
  GrpcPublisher(const SimOptions& options, const MessageSource& source,
                SimStats& stats);

  // Publishes until `pacer` says stop and every answer is in. Error when the
  // stream itself failed (e.g. UNAUTHENTICATED, gateway unreachable).
  absl::Status Run(Pacer& pacer);

 private:
  struct Pending {
    int64_t messages;
    int64_t records;
  };
  using Stream = grpc::ClientReaderWriter<streamgate::v1::PublishRequest,
                                          streamgate::v1::PublishResponse>;

  absl::Status RunStream(Pacer& pacer);
  absl::Status RunUnary(Pacer& pacer);
  void PrepareContext(grpc::ClientContext& context) const;
  // Registers and writes one request; false when the stream is broken.
  bool Send(Stream& stream, streamgate::v1::PublishRequest& request,
            Pending pending);
  void ReadAnswers(Stream& stream);

  const SimOptions& options_;
  const MessageSource& source_;
  SimStats& stats_;
  std::unique_ptr<streamgate::v1::Gateway::Stub> stub_;

  absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, Pending> pending_ ABSL_GUARDED_BY(mu_);
  bool reader_done_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_id_ = 1;  // writer thread only
};

}  // namespace streamgate::sim
