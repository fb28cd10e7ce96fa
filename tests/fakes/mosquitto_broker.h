// MosquittoBroker: runs a real mosquitto (/usr/sbin/mosquitto) for tests, on
// a free 127.0.0.1 port, from a config generated in a private temp dir
// (persistence off, anonymous allowed unless the extra config says
// otherwise, log to a file in that dir). It can be killed and restarted on
// the same port to test reconnects. The temp dir is removed on destruction.
//
// Threading: use from one thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace streamgate {
namespace testing {

class MosquittoBroker {
 public:
  // `extra_config` is appended after the listener line, so per-listener
  // options (cafile, require_certificate, ...) apply to it.
  static absl::StatusOr<std::unique_ptr<MosquittoBroker>> Start(
      const std::string& extra_config = "");
  ~MosquittoBroker();

  int port() const { return port_; }
  // A private directory (mode 0755) for the test's own files (certs, ...).
  const std::string& dir() const { return dir_; }
  std::string Log() const;  // the broker's output so far

  // Connections a client has closed (or half-closed) whose end the broker
  // has not read to the end yet (TCP CLOSE_WAIT on the broker's port).
  int UnreadClosedConnections() const;

  void Kill();   // SIGKILL, no goodbye to clients
  void Stop();   // SIGTERM and wait
  absl::Status Restart();  // start again on the same port with the same config

 private:
  MosquittoBroker() = default;
  absl::Status Launch();

  std::string dir_;
  std::string config_path_;
  std::string log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// A free TCP port on 127.0.0.1 (bound and released; fine for tests).
absl::StatusOr<int> PickFreePort();

// Runs `command` through /bin/sh; error with its exit status otherwise.
absl::Status RunShell(const std::string& command);

}  // namespace testing
}  // namespace streamgate
