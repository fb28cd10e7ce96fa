// GrpcAdapter: the gRPC server — the public Gateway service (callback API:
// unary calls answered inline, one PublishReactor per stream), the standard
// health service and server reflection. It translates only; all validation
// and routing happen in Ingest.
//
// Threading: Start/StopAccepting/Shutdown from the main thread; handlers run
// on gRPC's callback threads and never block.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adapters/adapter.h"
#include "gateway/config.h"
#include "gateway/ingest.h"
#include "grpcpp/grpcpp.h"
#include "streamgate/v1/gateway.grpc.pb.h"

namespace streamgate {

class GatewayService : public v1::Gateway::CallbackService {
 public:
  GatewayService(Ingest& ingest, size_t stream_window)
      : ingest_(ingest), stream_window_(stream_window) {}

  grpc::ServerUnaryReactor* PublishEvent(grpc::CallbackServerContext* context,
                                         const v1::Event* request,
                                         v1::PublishResponse* response) override;
  grpc::ServerUnaryReactor* PublishBulkData(
      grpc::CallbackServerContext* context, const v1::BulkData* request,
      v1::PublishResponse* response) override;
  grpc::ServerBidiReactor<v1::PublishRequest, v1::PublishResponse>* Publish(
      grpc::CallbackServerContext* context) override;

 private:
  Ingest& ingest_;
  const size_t stream_window_;
};

class GrpcAdapter : public Adapter {
 public:
  // `extra_services` (e.g. the Admin service) are served on the same port;
  // they must outlive the adapter.
  GrpcAdapter(const GrpcConfig& config, Ingest& ingest,
              std::vector<grpc::Service*> extra_services = {});
  ~GrpcAdapter() override;

  std::string name() const override { return "grpc"; }
  absl::Status Start() override;
  void StopAccepting() override;
  void Shutdown(absl::Time deadline) override;

  int port() const { return port_; }

 private:
  const GrpcConfig config_;
  GatewayService service_;
  std::vector<grpc::Service*> extra_services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace streamgate
