// AdminService: streamgate.v1.Admin (proto/streamgate/v1/admin.proto) —
// ListModules (config, counters, state, last error) and GetModuleLog (a
// module's recent log entries from ModuleLogs). Served on the gateway's gRPC
// port as an extra service; every call is authenticated with the same
// ApiKeyAuthenticator as the Gateway service.
//
// Threading: handlers run on gRPC's callback threads; everything they read
// (configs, atomics, the log rings, the counters function) is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <vector>

#include "adapters/grpc/api_key_auth.h"
#include "gateway/core/config.h"
#include "gateway/core/module_log.h"
#include "grpcpp/grpcpp.h"
#include "streamgate/v1/admin.grpc.pb.h"

namespace streamgate {

// A module's counters at one moment (see ModuleCounters in admin.proto).
struct ModuleCountersSnapshot {
  uint64_t records_accepted = 0;
  uint64_t bytes_accepted = 0;
  uint64_t records_rejected_full = 0;
  uint64_t queue_depth = 0;
  uint64_t records_written = 0;
  uint64_t records_settled = 0;
};

class AdminService : public v1::Admin::CallbackService {
 public:
  // Reads module i's counters; i indexes `modules`.
  using CountersFn = std::function<ModuleCountersSnapshot(size_t)>;

  // All references must outlive the service. `stopping` turns every
  // module's state to "stopped".
  AdminService(const std::vector<ModuleConfig>& modules, CountersFn counters,
               const ModuleLogs& logs, const std::atomic<bool>& stopping,
               const ApiKeyAuthenticator& auth);

  grpc::ServerUnaryReactor* ListModules(
      grpc::CallbackServerContext* context,
      const v1::ListModulesRequest* request,
      v1::ListModulesResponse* response) override;
  grpc::ServerUnaryReactor* GetModuleLog(
      grpc::CallbackServerContext* context,
      const v1::GetModuleLogRequest* request,
      v1::GetModuleLogResponse* response) override;

  // A module counts as failing while its newest ERROR is this recent.
  static constexpr absl::Duration kFailingWindow = absl::Minutes(1);
  static constexpr uint32_t kDefaultLimit = 100;

 private:
  const std::vector<ModuleConfig>& modules_;
  const CountersFn counters_;
  const ModuleLogs& logs_;
  const std::atomic<bool>& stopping_;
  const ApiKeyAuthenticator& auth_;
};

}  // namespace streamgate
