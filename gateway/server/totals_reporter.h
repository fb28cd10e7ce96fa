// TotalsReporter: logs one line of totals per module (in, delivered,
// dead-lettered, queued, rates) at info every interval, on its own thread,
// so an operator reading the log sees the gateway's progress without a
// metrics scraper. Final() logs the same lines once more at shutdown.
//
// Threading: Start, Stop and Final from the main thread; the reporter's
// thread only reads the GatewayStatus (thread-safe by contract).
#pragma once

#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/api/gateway_status.h"

namespace streamgate {

class TotalsReporter {
 public:
  // `interval` zero or negative: Start does nothing (periodic lines off).
  TotalsReporter(const GatewayStatus& status, absl::Duration interval);
  ~TotalsReporter();
  TotalsReporter(const TotalsReporter&) = delete;
  TotalsReporter& operator=(const TotalsReporter&) = delete;

  void Start();
  void Stop();
  // Logs "final totals" for every module, with rates since the start.
  void Final();

 private:
  void Run();
  void Report(absl::string_view label, absl::Duration since,
              const std::vector<ModuleStatus>* before,
              std::vector<ModuleStatus>* now_out) const;

  const GatewayStatus& status_;
  const absl::Duration interval_;
  const absl::Time started_ = absl::Now();
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace streamgate
