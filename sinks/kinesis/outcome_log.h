// OutcomeLog: the Kinesis sink's log lines about failed PutRecords requests
// and records, at most one per error code per 10 s with a count of the
// lines held back, through the module's logger (which names the module).
// Throughput-exceeded and data-format errors are ERRORs; other per-record
// errors, which are retried, WARNs; whole-request failures ERRORs. Error
// codes and messages come from the endpoint and are escaped.
//
// Threading: Log is thread-safe (the limiter locks; spdlog loggers are).
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "gateway/common/log_limiter.h"
#include "sinks/kinesis/retrier.h"

namespace spdlog {
class logger;
}

namespace streamgate::kinesis {

class OutcomeLog {
 public:
  OutcomeLog(std::shared_ptr<spdlog::logger> logger, std::string stream_name)
      : logger_(std::move(logger)), stream_name_(std::move(stream_name)) {}

  void Log(const RetryOutcome& outcome, absl::Time now);

 private:
  const std::shared_ptr<spdlog::logger> logger_;
  const std::string stream_name_;
  LogLimiter limiter_{absl::Seconds(10)};
};

}  // namespace streamgate::kinesis
