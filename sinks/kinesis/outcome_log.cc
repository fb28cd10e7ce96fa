#include "sinks/kinesis/outcome_log.h"

#include "absl/strings/str_cat.h"
#include "gateway/common/log_text.h"
#include "gateway/common/logging.h"
#include "sinks/aws/http_client.h"

namespace streamgate::kinesis {
namespace {

bool IsDataFormatError(absl::string_view code) {
  return code == "ValidationException" || code == "SerializationException" ||
         code == "InvalidArgumentException";
}

}  // namespace

void OutcomeLog::Log(const RetryOutcome& outcome, absl::Time now) {
  uint64_t suppressed = 0;
  for (const auto& [code, n] : outcome.record_errors) {
    if (!limiter_.Allow(code, now, suppressed)) continue;
    if (code == "ProvisionedThroughputExceededException" || IsDataFormatError(code)) {
      logger_->error("stream {}: {} record(s) failed with {} ({} similar line(s) "
                     "suppressed)",
                     stream_name_, n, EscapeForLog(code), suppressed);
    } else {
      logger_->warn("stream {}: {} record(s) failed with {}, retrying ({} "
                    "similar line(s) suppressed)",
                    stream_name_, n, EscapeForLog(code), suppressed);
    }
  }
  // Requests the client aborted at Close: the sink's Close says what became
  // of their records (they are not retried).
  if (outcome.request_error.empty() ||
      outcome.request_error == aws::TransportErrorName(aws::TransportError::kAborted)) {
    return;
  }
  if (!limiter_.Allow(absl::StrCat("request:", outcome.request_error), now,
                      suppressed)) {
    return;
  }
  const std::string reason = EscapeForLog(
      outcome.request_message.empty()
          ? outcome.request_error
          : absl::StrCat(outcome.request_error, ": ", outcome.request_message));
  const size_t records = outcome.retry.size() + outcome.dead.size();
  if (outcome.request == RequestOutcome::kFatalFailure) {
    logger_->error("stream {}: PutRecords failed with {}; {} record(s) "
                   "dead-lettered ({} similar line(s) suppressed)",
                   stream_name_, reason, records, suppressed);
  } else {
    logger_->error("stream {}: PutRecords failed with {}; {} record(s) will be "
                   "retried ({} similar line(s) suppressed)",
                   stream_name_, reason, records, suppressed);
  }
}

}  // namespace streamgate::kinesis
