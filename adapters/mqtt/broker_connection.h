// BrokerConnection: one TCP connection to the MQTT broker, optionally over
// TLS (OpenSSL), driven with poll(2) on a non-blocking socket (never
// select, which fails for descriptors above 1023). It moves bytes only:
// the session (adapters/mqtt/mqtt_session.h) speaks MQTT over it.
//
// Errors: UNAVAILABLE when the broker cannot be reached or the connection
// breaks (the session retries with backoff); PERMISSION_DENIED when the
// TLS handshake fails (a certificate problem: retrying will not help at
// start-up). Messages name the broker, never a secret.
//
// Threading: one thread uses a connection (the session's loop thread);
// Wake() may be called from any thread, through the wake-up descriptor the
// caller owns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

typedef struct ssl_st SSL;

namespace streamgate {

class TlsContext;  // adapters/mqtt/tls_context.h

class BrokerConnection {
 public:
  // Connects to host:port (each resolved address in turn) and, with `tls`,
  // completes the handshake, all by `deadline`.
  static absl::StatusOr<std::unique_ptr<BrokerConnection>> Open(
      const std::string& host, int port, const TlsContext* tls,
      absl::Time deadline);
  ~BrokerConnection();
  BrokerConnection(const BrokerConnection&) = delete;
  BrokerConnection& operator=(const BrokerConnection&) = delete;

  enum class Ready { kReadable, kWoken, kTimeout };
  // Waits up to `timeout` until the connection has bytes to read or
  // `wake_fd` (>= 0) becomes readable. TLS bytes already decrypted count
  // as readable at once.
  absl::StatusOr<Ready> WaitReadable(int wake_fd, absl::Duration timeout);

  // Reads what is there, up to `capacity` bytes, without waiting; 0 when
  // nothing is. UNAVAILABLE when the broker closed the connection.
  absl::StatusOr<size_t> Read(char* dst, size_t capacity);

  // Reads and drops whatever comes until the broker closes the connection
  // or `deadline` passes; true when it closed.
  bool WaitForClose(absl::Time deadline);

  // Writes all of `data`, waiting for room until `deadline`.
  absl::Status Write(absl::string_view data, absl::Time deadline);

 private:
  BrokerConnection(int fd, std::string broker)
      : fd_(fd), broker_(std::move(broker)) {}
  absl::Status Handshake(const TlsContext& tls, const std::string& host,
                         absl::Time deadline);
  // Polls the socket for `events` until `deadline`; false on timeout.
  absl::StatusOr<bool> PollUntil(short events, absl::Time deadline);
  absl::Status Broken(absl::string_view what) const;
  // The error of a failed SSL_write: the broker's alert when one came.
  absl::Status TlsWriteFailed();

  const int fd_;
  const std::string broker_;  // "host:port", for errors
  SSL* ssl_ = nullptr;
};

}  // namespace streamgate
