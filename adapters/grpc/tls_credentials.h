// ReloadableTlsCredentials: gRPC server TLS from grpc.tls (cert_file,
// key_file, optional client_ca_file for mutual TLS) whose files can be
// re-read without a restart. It uses gRPC's SSL "certificate config
// fetcher": gRPC asks for the current config on every new connection, and
// Reload() (SIGHUP) swaps in freshly read and validated files, so new
// connections get the new certificate while existing ones keep theirs.
// A reload that fails (unreadable file, bad PEM, key not matching the
// certificate) keeps the previous certificates.
//
// Threading: Create and Reload from the main thread; gRPC calls the fetcher
// from its handshake threads; the shared state is under mu_. Must outlive
// the grpc::Server built with Credentials().
#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "adapters/grpc/api_key_auth.h"
#include "adapters/grpc/grpc_config.h"
#include "grpc/grpc_security.h"
#include "grpcpp/security/server_credentials.h"

namespace streamgate {

class ReloadableTlsCredentials {
 public:
  using TlsFiles = GrpcConfig::Tls;

  // Reads and validates the files; errors name the field
  // ("grpc.tls.key_file: /path: ...").
  // With `auth`, API keys are checked on each call's headers before its
  // body is read (ApiKeyAuthProcessor); it must outlive the credentials.
  static absl::StatusOr<std::unique_ptr<ReloadableTlsCredentials>> Create(
      const TlsFiles &files, const ApiKeyAuthenticator *auth = nullptr);
  ~ReloadableTlsCredentials();

  ReloadableTlsCredentials(const ReloadableTlsCredentials &) = delete;
  ReloadableTlsCredentials &operator=(const ReloadableTlsCredentials &) =
      delete;

  // Re-reads the files; new connections use them from now on. On error the
  // current certificates stay in use.
  absl::Status Reload();

  // For ServerBuilder::AddListeningPort.
  std::shared_ptr<grpc::ServerCredentials> Credentials() const {
    return credentials_;
  }

  bool mutual() const { return !files_.client_ca_file.empty(); }

 private:
  struct Pem {
    std::string cert_chain;
    std::string private_key;
    std::string client_ca;  // empty: no client certificates
  };

  explicit ReloadableTlsCredentials(const TlsFiles &files) : files_(files) {}

  // Reads and checks the three files.
  static absl::StatusOr<Pem> ReadFiles(const TlsFiles &files);

  // grpc_ssl_server_certificate_config_callback.
  static grpc_ssl_certificate_config_reload_status Fetch(
      void *self, grpc_ssl_server_certificate_config **config);

  const TlsFiles files_;
  std::shared_ptr<grpc::ServerCredentials> credentials_;

  absl::Mutex mu_;
  Pem current_ ABSL_GUARDED_BY(mu_);
  bool changed_ ABSL_GUARDED_BY(mu_) = true;  // gRPC has not seen current_
};

}  // namespace streamgate
