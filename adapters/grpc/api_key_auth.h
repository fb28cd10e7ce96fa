// ApiKeyAuthenticator: checks a gRPC call's "authorization: Bearer <key>"
// metadata against the configured API keys (stored as SHA-256 only). With no
// keys configured every call is anonymous. The key never appears in a
// returned status or a log line; rejections are logged at WARN with the
// peer and the reason, at most one line per reason per second (RejectLog),
// so a flood of unauthenticated calls gives a trickle of lines.
//
// Threading: immutable after construction; Authenticate is safe to call from
// any number of threads at once.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "adapters/grpc/grpc_config.h"
#include "adapters/grpc/reject_log.h"
#include "grpcpp/grpcpp.h"

namespace streamgate {

// Who made a call. Both empty: anonymous (no keys configured).
struct AuthenticatedCaller {
  std::string key_id;
  std::string key_name;
};

class ApiKeyAuthenticator {
 public:
  // `keys` must have been validated (64 hex chars each), as
  // ParseGrpcAdapterConfig does.
  explicit ApiKeyAuthenticator(std::vector<ApiKeyConfig> keys);

  // True when any key is configured (every call must then carry one).
  bool enabled() const { return !keys_.empty(); }

  // UNAUTHENTICATED (the message never contains the key) when keys are
  // configured and the call's "authorization" metadata is not
  // "Bearer <key>" for a configured key. The comparison of digests is
  // constant-time and runs over every key.
  absl::StatusOr<AuthenticatedCaller> Authenticate(
      const grpc::ServerContextBase& context) const;

  // The same check on a raw header value (absent: nullptr); `peer` is for
  // the log line only.
  absl::StatusOr<AuthenticatedCaller> AuthenticateHeader(
      const absl::string_view* authorization, absl::string_view peer) const;

  // Lower-case hex SHA-256 of `key` (what `streamgate --hash-key` prints).
  static std::string HashKey(absl::string_view key);

 private:
  struct Key {
    std::string id;
    std::string name;
    std::array<unsigned char, 32> digest;
  };
  absl::Status Reject(absl::string_view peer, absl::string_view reason) const;

  std::vector<Key> keys_;
  std::unique_ptr<RejectLog> log_;  // thread-safe; a pointer keeps this movable
};

}  // namespace streamgate
