// Watchdog: the gateway's liveness check of itself. A process whose gRPC
// listener stopped accepting (gRPC 1.51 after it once hit the fd limit,
// CVE-2023-4785) or whose memory keeps growing (HTTP/2 rapid reset,
// CVE-2023-44487) stays alive, so a supervisor never restarts it. Every
// interval the watchdog reads the resident memory and probes the listener
// (a loopback health call); when the RSS passes limits.max_rss_bytes, or
// `failures` probes in a row fail, it calls `exit` (in the binary: log and
// _Exit(3)) so systemd (Restart=always) starts a fresh process. A wedged
// process is the failure; an exit and a restart is the recovery.
//
// Threading: Start/Stop from one thread (the main thread); the memory check
// and the probe run on two threads of the watchdog's own. CheckOnce may be
// called directly instead of Start (the threads run its halves); not both.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace streamgate {

class Watchdog {
 public:
  struct Options {
    absl::Duration interval = absl::Seconds(5);
    absl::Duration timeout = absl::Seconds(5);  // one probe's deadline
    int failures = 3;                           // failed probes in a row
    int64_t max_rss_bytes = 0;                  // 0: no bound
  };
  // OK when the listener answered within `timeout`. Empty: no probe.
  using Probe = std::function<absl::Status(absl::Duration timeout)>;
  // The process's resident memory in bytes.
  using RssReader = std::function<absl::StatusOr<int64_t>()>;
  // Called once with the reason; in the binary it does not return.
  using Exit = std::function<void(const std::string &why)>;

  Watchdog(Options options, Probe probe, RssReader rss, Exit exit);
  ~Watchdog();

  void Start();
  void Stop();

  // One round: the RSS bound, then the probe. Returns false when it called
  // `exit` (and it then never checks again). The threads run the two
  // halves on their own, so a slow probe never delays the memory check.
  bool CheckOnce() { return CheckRss() && CheckProbe(); }
  bool CheckRss();
  bool CheckProbe();

  // Resident memory of this process from /proc/self/statm.
  static absl::StatusOr<int64_t> ReadSelfRss();

 private:
  // Calls `check` every interval until it returns false or Stop.
  void Loop(bool (Watchdog::*check)());
  // Calls exit_ once, whichever check fires first.
  void Fire(const std::string &why);

  const Options options_;
  const Probe probe_;
  const RssReader rss_;
  const Exit exit_;
  int failed_in_a_row_ = 0;  // only touched by the probing thread
  std::atomic<bool> fired_{false};

  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread rss_thread_;
  std::thread probe_thread_;
};

}  // namespace streamgate
