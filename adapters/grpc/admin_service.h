// AdminService: streamgate.v1.Admin (proto/streamgate/v1/admin.proto) —
// ListModules (config, counters, state, last error) and GetModuleLog (a
// module's recent log entries), read from the core through GatewayStatus
// only. Served on the gateway's gRPC port by GrpcAdapter; every call is
// authenticated with the same ApiKeyAuthenticator as the Gateway service.
//
// Threading: handlers run on gRPC's callback threads; GatewayStatus is
// thread-safe and returns copies.
#pragma once

#include <cstdint>

#include "adapters/grpc/api_key_auth.h"
#include "gateway/api/gateway_status.h"
#include "grpcpp/grpcpp.h"
#include "streamgate/v1/admin.grpc.pb.h"

namespace streamgate {

class AdminService : public v1::Admin::CallbackService {
 public:
  // Both references must outlive the service.
  AdminService(const GatewayStatus& status, const ApiKeyAuthenticator& auth)
      : status_(status), auth_(auth) {}

  grpc::ServerUnaryReactor* ListModules(
      grpc::CallbackServerContext* context,
      const v1::ListModulesRequest* request,
      v1::ListModulesResponse* response) override;
  grpc::ServerUnaryReactor* GetModuleLog(
      grpc::CallbackServerContext* context,
      const v1::GetModuleLogRequest* request,
      v1::GetModuleLogResponse* response) override;

  static constexpr uint32_t kDefaultLimit = 100;

 private:
  const GatewayStatus& status_;
  const ApiKeyAuthenticator& auth_;
};

}  // namespace streamgate
