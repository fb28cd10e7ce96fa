// TlsContext: the OpenSSL client context of the MQTT adapter's broker
// connection, built from the `mqtt.tls` section: the CA file that signs the
// broker's certificate, an optional client certificate and key, and
// whether to verify the broker (certificate chain and host name). Errors
// name the file that failed and OpenSSL's reason, never key material.
//
// Threading: created on one thread; get() may then be used from any thread
// (OpenSSL contexts are safe to share once configured).
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "adapters/mqtt/config.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace streamgate {

class TlsContext {
 public:
  static absl::StatusOr<std::unique_ptr<TlsContext>> Create(
      const MqttTlsConfig& config);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  bool verify() const { return verify_; }

 private:
  TlsContext(SSL_CTX* ctx, bool verify) : ctx_(ctx), verify_(verify) {}

  SSL_CTX* ctx_;
  const bool verify_;
};

// The oldest OpenSSL error queued on this thread, as text, and clears the
// queue; "unknown error" when there is none.
std::string TakeOpenSslError();

}  // namespace streamgate
