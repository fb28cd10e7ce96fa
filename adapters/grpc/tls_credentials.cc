#include "adapters/grpc/tls_credentials.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "adapters/grpc/auth_processor.h"
#include "gateway/common/status_macros.h"
#include "grpc/grpc.h"

namespace streamgate {
namespace {

// Wraps core credentials built with a config fetcher, which the C++ API
// cannot make (SslServerCredentials takes fixed PEM strings only).
class FetcherServerCredentials final : public grpc::ServerCredentials {
 public:
  explicit FetcherServerCredentials(grpc_server_credentials *creds)
      : creds_(creds) {}
  ~FetcherServerCredentials() override {
    grpc_server_credentials_release(creds_);
  }
  void SetAuthMetadataProcessor(
      const std::shared_ptr<grpc::AuthMetadataProcessor> &) override {}

 private:
  int AddPortToServer(const std::string &addr, grpc_server *server) override {
    return grpc_server_add_http2_port(server, addr.c_str(), creds_);
  }

  grpc_server_credentials *const creds_;
};

std::string OpenSslError() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no PEM data found";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof(buf));
  return buf;
}

absl::StatusOr<std::string> ReadFile(const std::string &path,
                                     absl::string_view field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", path, ": cannot be read"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", path, ": read error"));
  }
  return ss.str();
}

struct BioDeleter {
  void operator()(BIO *b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509 *x) const { X509_free(x); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioDeleter> MemBio(const std::string &pem) {
  return std::unique_ptr<BIO, BioDeleter>(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Returns the first certificate of `pem`, or an error naming the field.
absl::StatusOr<std::unique_ptr<X509, X509Deleter>> FirstCert(
    const std::string &pem, const std::string &path, absl::string_view field) {
  ERR_clear_error();
  auto bio = MemBio(pem);
  std::unique_ptr<X509, X509Deleter> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": ", path, ": not a PEM certificate (", OpenSslError(), ")"));
  }
  return cert;
}

}  // namespace

absl::StatusOr<ReloadableTlsCredentials::Pem>
ReloadableTlsCredentials::ReadFiles(const TlsFiles &files) {
  if (files.key_file.empty()) {
    return absl::InvalidArgumentError(
        "grpc.tls.key_file: required with grpc.tls.cert_file");
  }
  Pem pem;
  ASSIGN_OR_RETURN(pem.cert_chain,
                   ReadFile(files.cert_file, "grpc.tls.cert_file"));
  ASSIGN_OR_RETURN(pem.private_key,
                   ReadFile(files.key_file, "grpc.tls.key_file"));
  ASSIGN_OR_RETURN(auto cert, FirstCert(pem.cert_chain, files.cert_file,
                                        "grpc.tls.cert_file"));
  ERR_clear_error();
  auto key_bio = MemBio(pem.private_key);
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    // The OpenSSL reason only: never echo the key file's content.
    return absl::InvalidArgumentError(
        absl::StrCat("grpc.tls.key_file: ", files.key_file,
                     ": not a PEM private key (", OpenSslError(), ")"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("grpc.tls.key_file: ", files.key_file,
                     ": does not match the certificate in ", files.cert_file));
  }
  if (!files.client_ca_file.empty()) {
    ASSIGN_OR_RETURN(pem.client_ca,
                     ReadFile(files.client_ca_file, "grpc.tls.client_ca_file"));
    ASSIGN_OR_RETURN(auto ca, FirstCert(pem.client_ca, files.client_ca_file,
                                        "grpc.tls.client_ca_file"));
  }
  return pem;
}

absl::StatusOr<std::unique_ptr<ReloadableTlsCredentials>>
ReloadableTlsCredentials::Create(const TlsFiles &files,
                                 const ApiKeyAuthenticator *auth) {
  ASSIGN_OR_RETURN(Pem pem, ReadFiles(files));
  std::unique_ptr<ReloadableTlsCredentials> self(
      new ReloadableTlsCredentials(files));
  {
    absl::MutexLock lock(&self->mu_);
    self->current_ = std::move(pem);
  }
  grpc_ssl_server_credentials_options *options =
      grpc_ssl_server_credentials_create_options_using_config_fetcher(
          files.client_ca_file.empty()
              ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
              : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY,
          &ReloadableTlsCredentials::Fetch, self.get());
  // Takes ownership of options.
  grpc_server_credentials *creds =
      grpc_ssl_server_credentials_create_with_options(options);
  if (creds == nullptr) {
    return absl::InternalError("grpc.tls: gRPC refused the TLS options");
  }
  if (auth != nullptr) ApiKeyAuthProcessor::Attach(*auth, creds);
  self->credentials_ = std::make_shared<FetcherServerCredentials>(creds);
  return self;
}

ReloadableTlsCredentials::~ReloadableTlsCredentials() = default;

absl::Status ReloadableTlsCredentials::Reload() {
  ASSIGN_OR_RETURN(Pem pem, ReadFiles(files_));
  absl::MutexLock lock(&mu_);
  current_ = std::move(pem);
  changed_ = true;
  return absl::OkStatus();
}

grpc_ssl_certificate_config_reload_status ReloadableTlsCredentials::Fetch(
    void *user_data, grpc_ssl_server_certificate_config **config) {
  auto *self = static_cast<ReloadableTlsCredentials *>(user_data);
  absl::MutexLock lock(&self->mu_);
  if (!self->changed_) return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
  // gRPC copies the strings; the pair array only lives for the call.
  grpc_ssl_pem_key_cert_pair pair{self->current_.private_key.c_str(),
                                  self->current_.cert_chain.c_str()};
  // gRPC 1.51 asserts root certificates on a fetched config even when no
  // client certificate is requested; without client_ca_file they are never
  // used (the server sends no CertificateRequest), so our own chain fills in.
  const std::string &roots = self->current_.client_ca.empty()
                                 ? self->current_.cert_chain
                                 : self->current_.client_ca;
  *config = grpc_ssl_server_certificate_config_create(roots.c_str(), &pair, 1);
  self->changed_ = false;
  return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW;
}

}  // namespace streamgate
