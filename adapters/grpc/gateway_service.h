// GatewayService: streamgate.v1.Gateway on the callback API's raw methods
// (requests and responses as grpc::ByteBuffer), so the adapter parses the
// protobuf itself and answers a request that does not parse with
// INVALID_ARGUMENT and the reason, a WARN line and a counter (RejectLog)
// instead of gRPC's bare UNIMPLEMENTED. Each Publish stream gets a
// PublishReactor. Every call is authenticated first (a stream once, at its
// start); the caller's key id and name are the only source of the events'
// origin project key fields. It translates only; validation and routing happen
// in Ingest.
//
// Unary calls go to Ingest's asynchronous methods and finish from their
// completion, so a handler never waits for a spool's fdatasync and the calls
// in flight share group commits.
//
// Threading: handlers run on gRPC's callback threads and never block; a
// call may be finished from a spool's commit thread. The service itself is
// immutable after construction.
#pragma once

#include <cstddef>

#include "adapters/grpc/api_key_auth.h"
#include "adapters/grpc/reject_log.h"
#include "gateway/api/ingest.h"
#include "gateway/api/rejects.h"
#include "grpcpp/grpcpp.h"
#include "streamgate/v1/gateway.grpc.pb.h"

namespace streamgate {

using RawGatewayService = v1::Gateway::WithRawCallbackMethod_PublishEvent<
    v1::Gateway::WithRawCallbackMethod_PublishBulkData<
        v1::Gateway::WithRawCallbackMethod_Publish<v1::Gateway::Service>>>;

class GatewayService : public RawGatewayService {
 public:
  // Everything must outlive the service. `rejects` hears of inputs the
  // adapter refuses before Ingest (a bad timestamp, an empty stream item).
  GatewayService(Ingest& ingest, const ApiKeyAuthenticator& auth,
                 size_t stream_window, DoorRejects& rejects, RejectLog& log)
      : ingest_(ingest),
        auth_(auth),
        stream_window_(stream_window),
        rejects_(rejects),
        log_(log) {}

  grpc::ServerUnaryReactor* PublishEvent(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* PublishBulkData(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Publish(
      grpc::CallbackServerContext* context) override;

 private:
  Ingest& ingest_;
  const ApiKeyAuthenticator& auth_;
  const size_t stream_window_;
  DoorRejects& rejects_;
  RejectLog& log_;
};

}  // namespace streamgate
