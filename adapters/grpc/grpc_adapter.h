// GrpcAdapter: the gRPC server — the public Gateway service (callback API:
// unary calls answered inline, one PublishReactor per stream), the standard
// health service and server reflection. It translates only; all validation
// and routing happen in Ingest. Every Gateway call is authenticated with the
// ApiKeyAuthenticator first (a stream once, at its start); the caller's key
// id and name are the only source of the events' origin project key fields.
// With grpc.tls set it serves TLS (mutual with client_ca_file) and Reload
// (SIGHUP) re-reads the certificate files for new connections.
//
// Threading: Start/StopAccepting/Shutdown from the main thread; handlers run
// on gRPC's callback threads and never block.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gateway/api/adapter.h"
#include "adapters/grpc/api_key_auth.h"
#include "adapters/grpc/tls_credentials.h"
#include "gateway/core/config.h"
#include "gateway/api/rejects.h"
#include "gateway/api/ingest.h"
#include "grpcpp/grpcpp.h"
#include "streamgate/v1/gateway.grpc.pb.h"

namespace streamgate {

class GatewayService : public v1::Gateway::CallbackService {
 public:
  // `rejects` hears of inputs refused before they reach `ingest`.
  GatewayService(Ingest& ingest, const ApiKeyAuthenticator& auth,
                 size_t stream_window, DoorRejects& rejects)
      : ingest_(ingest),
        auth_(auth),
        stream_window_(stream_window),
        rejects_(rejects) {}

  grpc::ServerUnaryReactor* PublishEvent(grpc::CallbackServerContext* context,
                                         const v1::Event* request,
                                         v1::PublishResponse* response) override;
  grpc::ServerUnaryReactor* PublishBulkData(
      grpc::CallbackServerContext* context, const v1::BulkData* request,
      v1::PublishResponse* response) override;
  grpc::ServerBidiReactor<v1::PublishRequest, v1::PublishResponse>* Publish(
      grpc::CallbackServerContext* context) override;

  const ApiKeyAuthenticator& auth() const { return auth_; }

 private:
  Ingest& ingest_;
  const ApiKeyAuthenticator& auth_;
  const size_t stream_window_;
  DoorRejects& rejects_;
};

class GrpcAdapter : public Adapter {
 public:
  // `extra_services` (e.g. the Admin service) are served on the same port;
  // they must outlive the adapter, as must `auth` (extra services should
  // check it the same way), and `rejects` (told of inputs refused before
  // Ingest: a bad timestamp, an empty stream item).
  GrpcAdapter(const GrpcConfig& config, Ingest& ingest,
              const ApiKeyAuthenticator& auth,
              std::vector<grpc::Service*> extra_services = {},
              DoorRejects& rejects = NoDoorRejects::Instance());
  ~GrpcAdapter() override;

  std::string name() const override { return "grpc"; }
  absl::Status Start() override;
  void StopAccepting() override;
  void Shutdown(absl::Time deadline) override;
  // Re-reads the TLS certificate files (no-op without TLS).
  void Reload() override;

  int port() const { return port_; }

 private:
  const GrpcConfig config_;
  GatewayService service_;
  std::vector<grpc::Service*> extra_services_;
  std::unique_ptr<ReloadableTlsCredentials> tls_;  // outlives server_
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace streamgate
