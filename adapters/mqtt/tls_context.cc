#include "adapters/mqtt/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace streamgate {

std::string TakeOpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof(text));
  return text;
}

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::Create(
    const MqttTlsConfig& config) {
  // OpenSSL's socket BIO writes with write(2), which raises SIGPIPE on a
  // connection the broker closed. The gateway's main ignores it already;
  // this covers other embedders of the adapter (its tests).
  signal(SIGPIPE, SIG_IGN);
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) {
    return absl::InternalError(absl::StrCat("mqtt: tls: ", TakeOpenSslError()));
  }
  std::unique_ptr<TlsContext> out(new TlsContext(ctx, config.verify));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Partial writes let one SSL_write take what the socket has room for.
  SSL_CTX_set_mode(
      ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_load_verify_locations(ctx, config.ca_file.c_str(), nullptr) !=
      1) {
    return absl::InvalidArgumentError(
        absl::StrCat("mqtt: tls: cannot load ca_file '", config.ca_file,
                     "': ", TakeOpenSslError()));
  }
  if (!config.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, config.cert_file.c_str()) !=
        1) {
      return absl::InvalidArgumentError(
          absl::StrCat("mqtt: tls: cannot load cert_file '", config.cert_file,
                       "': ", TakeOpenSslError()));
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, config.key_file.c_str(),
                                    SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("mqtt: tls: cannot use key_file '", config.key_file,
                       "': ", TakeOpenSslError()));
    }
  }
  SSL_CTX_set_verify(ctx, config.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
                     nullptr);
  return out;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

}  // namespace streamgate
