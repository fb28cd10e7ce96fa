// AWS Signature Version 4, as a pure function of (credentials, request,
// time): no clock, no environment, no I/O. Used by the Kinesis sink, STS
// AssumeRole and streamgate-tail. Thread-safe (no shared state).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"

namespace streamgate::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;             // empty: none
  absl::optional<absl::Time> expiration; // absent: never expires
};

// An HTTP request before signing. `path` is the raw path as sent (not yet
// URI-encoded for signing); `query` the raw query string without '?'.
struct HttpRequest {
  std::string method;
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;  // as sent, any case
  std::string body;
};

struct SigningParams {
  std::string region;
  std::string service;
  absl::Time time;
  // S3 is the only service that signs the path un-normalized; Kinesis and
  // STS normalize. The test suite's "-unnormalized"/"normalized" cases use it.
  bool normalize_path = true;
};

struct SignedParts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lower-case hex
  // Headers to add to the request as sent: X-Amz-Date, X-Amz-Security-Token
  // (when a session token is set) and Authorization, in that order.
  std::vector<std::pair<std::string, std::string>> headers_to_add;
};

// Signs `request`. The result's headers_to_add, appended to the request's
// headers, make the signed request. Fails only on malformed input (for
// example a header without a name).
absl::StatusOr<SignedParts> SignRequest(const Credentials& credentials,
                                        const HttpRequest& request,
                                        const SigningParams& params);

// Lower-case hex SHA-256 of `data` (the payload hash of a request).
std::string HexSha256(std::string_view data);

}  // namespace streamgate::aws
