// AdminClient: streamgate-ctl's calls to streamgate.v1.Admin, rendered as
// text for a terminal (a table of modules, log lines), with errors turned
// into messages a person can act on (connection refused, a missing or wrong
// API key, an unknown module).
//
// Threading: one thread.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "streamgate/v1/admin.grpc.pb.h"

namespace streamgate::ctl {

struct ClientOptions {
  std::string target = "127.0.0.1:50051";
  std::string api_key;      // empty: no authorization header
  std::string ca_file;      // non-empty: TLS, trusting this CA
  absl::Duration timeout = absl::Seconds(10);
};

class AdminClient {
 public:
  static absl::StatusOr<std::unique_ptr<AdminClient>> Create(
      const ClientOptions& options);

  // The module table (FormatModules), or an error explaining what went
  // wrong.
  absl::StatusOr<std::string> Modules();
  // One line per entry: "TIME LEVEL MESSAGE"; "(no entries)" when none.
  absl::StatusOr<std::string> Logs(const std::string& module_id,
                                   const std::string& min_level,
                                   uint32_t limit);

 private:
  explicit AdminClient(const ClientOptions& options,
                       std::shared_ptr<grpc::Channel> channel);
  void Prepare(grpc::ClientContext& context) const;
  absl::Status Explain(const grpc::Status& status,
                       const std::string& module_id) const;

  const ClientOptions options_;
  std::unique_ptr<v1::Admin::Stub> stub_;
};

// Formats a protobuf Timestamp as 2024-05-01T12:00:00.123Z.
std::string FormatTime(int64_t seconds, int32_t nanos);

// The `modules` table: one row per module under a header starting with
// MODULE, columns two or more spaces apart. DELIVERED counts records stored
// at the destination only; DEAD-LETTERED those given up (as /metrics'
// streamgate_module_records_delivered_total and _dead_lettered_total).
// Modules with a last error follow after a blank line.
std::string FormatModules(const v1::ListModulesResponse& response);

}  // namespace streamgate::ctl
