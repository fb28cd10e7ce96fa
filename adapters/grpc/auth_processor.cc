#include "adapters/grpc/auth_processor.h"

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "grpc/grpc.h"
#include "grpc/slice.h"

namespace streamgate {
namespace {

absl::string_view View(const grpc_slice &s) {
  return absl::string_view(
      reinterpret_cast<const char *>(GRPC_SLICE_START_PTR(s)),
      GRPC_SLICE_LENGTH(s));
}

void Process(void *state, grpc_auth_context *, const grpc_metadata *md,
             size_t num_md, grpc_process_auth_metadata_done_cb cb,
             void *user_data) {
  const auto &auth = *static_cast<const ApiKeyAuthenticator *>(state);
  absl::string_view path;
  absl::string_view authorization;
  int authorizations = 0;
  for (size_t i = 0; i < num_md; ++i) {
    const absl::string_view key = View(md[i].key);
    if (key == ":path") path = View(md[i].value);
    if (key == "authorization") {
      authorization = View(md[i].value);
      ++authorizations;
    }
  }
  if (!ApiKeyAuthProcessor::NeedsKey(path)) {
    cb(user_data, nullptr, 0, nullptr, 0, GRPC_STATUS_OK, nullptr);
    return;
  }
  constexpr absl::string_view kPeer = "(a client, before the call's body)";
  absl::StatusOr<AuthenticatedCaller> caller;
  if (authorizations > 1) {
    caller = absl::UnauthenticatedError("more than one authorization header");
  } else {
    caller = auth.AuthenticateHeader(
        authorizations == 1 ? &authorization : nullptr, kPeer);
  }
  if (caller.ok()) {
    cb(user_data, nullptr, 0, nullptr, 0, GRPC_STATUS_OK, nullptr);
    return;
  }
  const std::string message(caller.status().message());
  cb(user_data, nullptr, 0, nullptr, 0, GRPC_STATUS_UNAUTHENTICATED,
     message.c_str());
}

class PlaintextCredentials final : public grpc::ServerCredentials {
 public:
  explicit PlaintextCredentials(grpc_server_credentials *creds)
      : creds_(creds) {}
  ~PlaintextCredentials() override { grpc_server_credentials_release(creds_); }
  void SetAuthMetadataProcessor(
      const std::shared_ptr<grpc::AuthMetadataProcessor> &) override {}

 private:
  int AddPortToServer(const std::string &addr, grpc_server *server) override {
    return grpc_server_add_http2_port(server, addr.c_str(), creds_);
  }

  grpc_server_credentials *const creds_;
};

}  // namespace

bool ApiKeyAuthProcessor::NeedsKey(absl::string_view path) {
  return !absl::StartsWith(path, "/grpc.health.v1.Health/") &&
         !absl::StartsWith(path, "/grpc.reflection.");
}

void ApiKeyAuthProcessor::Attach(const ApiKeyAuthenticator &auth,
                                 grpc_server_credentials *creds) {
  if (!auth.enabled()) return;
  grpc_auth_metadata_processor p;
  p.process = &Process;
  p.destroy = nullptr;
  p.state = const_cast<ApiKeyAuthenticator *>(&auth);
  grpc_server_credentials_set_auth_metadata_processor(creds, p);
}

std::shared_ptr<grpc::ServerCredentials> PlaintextServerCredentials(
    const ApiKeyAuthenticator &auth) {
  grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
  ApiKeyAuthProcessor::Attach(auth, creds);
  return std::make_shared<PlaintextCredentials>(creds);
}

}  // namespace streamgate
