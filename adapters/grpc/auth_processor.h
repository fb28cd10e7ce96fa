// ApiKeyAuthProcessor: the API-key check run by gRPC core on a call's
// headers (an auth metadata processor in the server's auth filter), before
// the call reaches a handler and before its request body is read. A call
// refused here is answered UNAUTHENTICATED and reset: its body, up to 4 MiB,
// is never buffered for it, so unauthenticated clients cannot make the
// gateway hold their requests (issue 15 item 2). The handlers still
// authenticate (the caller's key id and name come from there); this is the
// early door. Health checks and reflection stay open without a key, as
// they are in the handlers.
//
// Works for plaintext and TLS alike: Attach sets the processor on the core
// credentials the port is added with (PlaintextServerCredentials, or the
// TLS ones of ReloadableTlsCredentials).
//
// Threading: immutable; gRPC calls Process on its threads, any number at
// once. The authenticator must outlive every server using the credentials.
#pragma once

#include <memory>
#include <string>

#include "adapters/grpc/api_key_auth.h"
#include "grpc/grpc_security.h"
#include "grpcpp/security/server_credentials.h"

namespace streamgate {

class ApiKeyAuthProcessor {
 public:
  // Sets a processor checking `auth` on `creds` (no-op when no keys are
  // configured: every call is anonymous then).
  static void Attach(const ApiKeyAuthenticator &auth,
                     grpc_server_credentials *creds);

  // Whether a call to `path` needs a key (false for health and
  // reflection).
  static bool NeedsKey(absl::string_view path);
};

// Plaintext server credentials on which a core auth metadata processor can
// be set (gRPC's C++ InsecureServerCredentials refuses one).
std::shared_ptr<grpc::ServerCredentials> PlaintextServerCredentials(
    const ApiKeyAuthenticator &auth);

}  // namespace streamgate
