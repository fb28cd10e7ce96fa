// ListenerProbe: one grpc.health.v1 Check("") call to the gateway's own
// plaintext listener over a brand-new connection, for the liveness
// watchdog; on a TLS listener, a TLS handshake (certificate not verified,
// no client certificate: a refusal alert is an answer too), since the
// probe has no trusted CA and no client certificate for a real call. A fresh
// connection per probe (a local subchannel pool) is the point: calls on an
// established connection keep working when the listener no longer accepts new
// ones, which is the failure to detect. Any answer (NOT_SERVING, even an error
// status) proves the listener alive; only DEADLINE_EXCEEDED and UNAVAILABLE
// fail the probe.
//
// Threading: Check may be called from any one thread at a time; it blocks
// for at most its timeout (plus a moment).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace streamgate {

class ListenerProbe {
 public:
  // `target`: "HOST:PORT" to connect to (a wildcard listen address is
  // probed on loopback).
  // `tls`: probe with a TLS handshake instead of a health call.
  explicit ListenerProbe(std::string target, bool tls = false)
      : target_(std::move(target)), tls_(tls) {}

  // OK when the health call was answered within `timeout`; otherwise
  // DEADLINE_EXCEEDED / UNAVAILABLE with gRPC's message.
  absl::Status Check(absl::Duration timeout) const;

  // The address to probe for a `listen` address and the bound port:
  // 0.0.0.0 and [::] become loopback.
  static std::string TargetFor(const std::string &listen, int port);

  const std::string &target() const { return target_; }

 private:
  absl::Status CheckTls(absl::Duration timeout) const;

  const std::string target_;
  const bool tls_;
};

}  // namespace streamgate
