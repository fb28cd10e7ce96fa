// GrpcAdapter: the gRPC server — the public Gateway service
// (GatewayService), the Admin service (AdminService, reading the gateway
// through GatewayStatus), the standard health service and server
// reflection, all on one port. It owns the services and the
// ApiKeyAuthenticator every Gateway and Admin call is checked with. With
// grpc.tls set it serves TLS (mutual with client_ca_file) and Reload
// (SIGHUP) re-reads the certificate files for new connections. Built by
// GrpcAdapterFactory (adapters/grpc/factory.h); the server may name this
// class for port(). Ingest's INVALID_ARGUMENT refusals are reported as door
// rejects with the offending item's bytes (DeadLetteringIngest).
//
// Threading: Start/StopAccepting/Shutdown/Reload from the main thread;
// handlers run on gRPC's callback threads and never block; CollectMetrics
// from the scrape thread (atomics only).
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "adapters/grpc/admin_service.h"
#include "adapters/grpc/api_key_auth.h"
#include "adapters/grpc/dead_lettering_ingest.h"
#include "adapters/grpc/gateway_service.h"
#include "adapters/grpc/grpc_config.h"
#include "adapters/grpc/listener_probe.h"
#include "adapters/grpc/reject_log.h"
#include "adapters/grpc/tls_credentials.h"
#include "gateway/api/adapter.h"
#include "grpcpp/grpcpp.h"

namespace streamgate {

class GrpcAdapter : public Adapter {
 public:
  // `context` (ingest, door rejects, gateway status) must outlive the
  // adapter. Nothing touches the network before Start.
  GrpcAdapter(GrpcAdapterConfig config, const AdapterContext &context);
  ~GrpcAdapter() override;

  std::string name() const override { return "grpc"; }
  // Reads the TLS files (errors name the field), binds grpc.listen and
  // starts serving. Also routes libprotobuf's own log lines into spdlog
  // (RouteProtobufLogToSpdlog), once per process.
  absl::Status Start() override;
  // Health NOT_SERVING; calls keep being answered (Ingest says UNAVAILABLE
  // once the gateway stops accepting).
  void StopAccepting() override;
  void Shutdown(absl::Time deadline) override;
  // Re-reads the TLS certificate files (no-op without TLS).
  void Reload() override;
  // streamgate_grpc_unparsable_requests_total{rpc}.
  void CollectMetrics(metrics::MetricsWriter &out) const override;

  // The bound port once started (grpc.listen may ask for port 0).
  int port() const { return port_; }
  // grpc.drain_grace_ms: how long the server should keep answering after
  // StopAccepting before it calls Shutdown, so balancers move away.
  absl::Duration DrainGrace() const override {
    return absl::Milliseconds(config_.grpc.drain_grace_ms);
  }
  const ApiKeyAuthenticator &auth() const { return auth_; }
  // One loopback health call on a new connection (a TLS handshake on a TLS
  // listener; ListenerProbe), for the liveness watchdog. UNIMPLEMENTED
  // before Start.
  absl::Status ProbeListener(absl::Duration timeout) const;
  bool can_probe_listener() const { return probe_ != nullptr; }
  const RejectLog &reject_log() const { return reject_log_; }

 private:
  const GrpcAdapterConfig config_;
  const ApiKeyAuthenticator auth_;
  DeadLetteringIngest ingest_;  // the context's Ingest, reporting refusals
  RejectLog reject_log_;
  GatewayService gateway_;
  AdminService admin_;
  std::unique_ptr<ReloadableTlsCredentials> tls_;  // outlives server_
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<ListenerProbe> probe_;  // set by Start
};

}  // namespace streamgate
