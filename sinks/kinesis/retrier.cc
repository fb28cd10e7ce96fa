#include "sinks/kinesis/retrier.h"

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sinks/kinesis/codec.h"

namespace streamgate::kinesis {

bool IsRetryableError(absl::string_view code, long http_status) {
  static constexpr absl::string_view kRetryable[] = {
      "ProvisionedThroughputExceededException",
      "ThrottlingException",
      "Throttling",
      "LimitExceededException",
      "RequestLimitExceeded",
      "TooManyRequestsException",
      "InternalFailure",
      "InternalFailureException",
      "InternalServerError",
      "ServiceUnavailable",
      "ServiceUnavailableException",
      "KMSThrottlingException",
      "RequestTimeout",
      "RequestTimeoutException",
      "RequestExpired",            // clock skew; the next attempt is re-signed
      "ExpiredTokenException",     // credentials refresh before the next attempt
      "ExpiredToken",
      "IDPCommunicationError",
  };
  static constexpr absl::string_view kFatal[] = {
      "ResourceNotFoundException",
      "AccessDeniedException",
      "AccessDenied",
      "ValidationException",
      "InvalidArgumentException",
      "SerializationException",
      "UnrecognizedClientException",
      "InvalidSignatureException",
      "IncompleteSignature",
      "MissingAuthenticationToken",
      "InvalidClientTokenId",
      "UnknownOperationException",
  };
  for (absl::string_view c : kRetryable) {
    if (code == c) return true;
  }
  // KMS errors (disabled key, missing grant, ...) need an operator, except
  // KMS' own throttling (handled above).
  if (absl::StartsWith(code, "KMS")) return false;
  for (absl::string_view c : kFatal) {
    if (code == c) return false;
  }
  if (http_status == 0) return true;  // unknown per-record code: TTL bounds it
  return http_status >= 500 || http_status == 429 || http_status == 408;
}

bool IsThrottlingError(absl::string_view error) {
  return absl::StartsWith(error, "ProvisionedThroughputExceededException") ||
         absl::StartsWith(error, "ThrottlingException") ||
         absl::StartsWith(error, "LimitExceededException");
}

const char* RequestOutcomeName(RequestOutcome o) {
  switch (o) {
    case RequestOutcome::kOk: return "ok";
    case RequestOutcome::kPartial: return "partial";
    case RequestOutcome::kRetryableFailure: return "retryable_failure";
    case RequestOutcome::kFatalFailure: return "fatal_failure";
    case RequestOutcome::kTransportError: return "transport_error";
  }
  return "unknown";
}

Retrier::Retrier(RetryPolicy policy, std::function<double()> uniform01)
    : policy_(policy), uniform01_(std::move(uniform01)) {
  if (!uniform01_) {
    auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
    uniform01_ = [engine] {
      return std::uniform_real_distribution<double>(0.0, 1.0)(*engine);
    };
  }
}

absl::Duration Retrier::Backoff(int attempts) {
  absl::Duration cap = policy_.initial_backoff;
  for (int i = 1; i < attempts && cap < policy_.max_backoff; ++i) cap *= 2;
  cap = std::min(cap, policy_.max_backoff);
  double u = std::clamp(uniform01_(), 0.0, 1.0);
  return cap * u;
}

void Retrier::Fail(PendingRecord record, const std::string& error, bool retryable,
                   absl::Time now, RetryOutcome& out) {
  record.last_error = error;
  if (!retryable) {
    out.dead.push_back(std::move(record));
    return;
  }
  absl::Time next = now + Backoff(record.attempts);
  if (next - record.accepted >= policy_.record_ttl) {
    record.last_error = absl::StrCat("record_ttl_s exceeded after ",
                                     record.attempts, " attempts; last error: ", error);
    out.dead.push_back(std::move(record));
    return;
  }
  record.not_before = next;
  out.retry.push_back(std::move(record));
}

RetryOutcome Retrier::FailAll(PendingBatch sent, const std::string& code,
                              const std::string& message, bool retryable,
                              RequestOutcome outcome, absl::Time now) {
  RetryOutcome out;
  out.request = outcome;
  out.request_error = code;
  out.request_message = message;
  std::string error = message.empty() ? code : absl::StrCat(code, ": ", message);
  for (auto& r : sent) Fail(std::move(r), error, retryable, now, out);
  return out;
}

RetryOutcome Retrier::OnLocalFailure(PendingBatch sent, absl::string_view code,
                                     absl::string_view message, absl::Time now) {
  // Nothing reached the network: the attempt does not count as sent, but
  // it does count toward backoff so a persistent failure slows down.
  for (auto& r : sent) ++r.attempts;
  return FailAll(std::move(sent), std::string(code), std::string(message),
                 /*retryable=*/true, RequestOutcome::kRetryableFailure, now);
}

RetryOutcome Retrier::OnResponse(PendingBatch sent, const aws::HttpResponse& response,
                                 absl::Time now) {
  for (auto& r : sent) ++r.attempts;

  if (response.error != aws::TransportError::kNone) {
    size_t dup = 0;
    if (response.request_sent) {
      // The server may have stored these records before the answer was lost.
      for (auto& r : sent) r.possible_duplicate = true;
      dup = sent.size();
    }
    RetryOutcome out = FailAll(std::move(sent), aws::TransportErrorName(response.error),
                               response.error_message, /*retryable=*/true,
                               RequestOutcome::kTransportError, now);
    out.newly_possible_duplicates = dup;
    return out;
  }

  if (response.status != 200) {
    ErrorBody err = ParseErrorBody(response.body);
    std::string code =
        err.type.empty() ? absl::StrCat("HTTP ", response.status) : err.type;
    bool retryable = IsRetryableError(code, response.status);
    return FailAll(std::move(sent), code, err.message, retryable,
                   retryable ? RequestOutcome::kRetryableFailure
                             : RequestOutcome::kFatalFailure,
                   now);
  }

  auto parsed = ParsePutRecordsResponse(response.body, ResultDetail::kFailuresOnly);
  if (!parsed.ok() || parsed->record_count != sent.size()) {
    // A 200 we cannot match by index: the records may be stored, so retry
    // them all as possible duplicates rather than guess.
    std::string msg = parsed.ok()
                          ? absl::StrCat("answer has ", parsed->record_count,
                                         " records for ", sent.size(), " sent")
                          : std::string(parsed.status().message());
    for (auto& r : sent) r.possible_duplicate = true;
    size_t dup = sent.size();
    RetryOutcome out = FailAll(std::move(sent), "MalformedResponse", msg, true,
                               RequestOutcome::kRetryableFailure, now);
    out.newly_possible_duplicates = dup;
    return out;
  }

  RetryOutcome out;
  out.request = RequestOutcome::kOk;
  out.shard_ids = std::move(parsed->shard_ids);
  if (parsed->records.empty()) {  // every record stored (validated by the parser)
    out.delivered = sent.size();
    for (const auto& r : sent) out.delivered_bytes += r.size();
    out.stored = std::move(sent);
    return out;
  }
  for (size_t i = 0; i < sent.size(); ++i) {
    const RecordResult& rr = parsed->records[i];
    if (rr.error_code.empty()) {
      ++out.delivered;
      out.delivered_bytes += sent[i].size();
      out.stored.push_back(std::move(sent[i]));
      continue;
    }
    out.request = RequestOutcome::kPartial;
    ++out.record_errors[rr.error_code];
    std::string error = rr.error_message.empty()
                            ? rr.error_code
                            : absl::StrCat(rr.error_code, ": ", rr.error_message);
    Fail(std::move(sent[i]), error, IsRetryableError(rr.error_code, 0), now, out);
  }
  return out;
}

}  // namespace streamgate::kinesis
