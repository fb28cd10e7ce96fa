// AWS Signature Version 4, as a pure function of (credentials, request,
// time): no clock, no environment, no I/O. Used by the Kinesis sink, STS
// AssumeRole and streamgate-tail. Thread-safe (no shared state).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"

namespace streamgate::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;              // empty: none
  absl::optional<absl::Time> expiration;  // absent: never expires
};

// An HTTP request before signing. `path` is the path exactly as sent on the
// request line (every byte but unreserved ones and '/' is percent-encoded for
// signing, '%' included: AWS wants an already-encoded path encoded twice); `query` the query string as sent, without '?' (either raw or
// percent-encoded: it is decoded and re-encoded for signing). `headers` must
// contain Host and must not contain Authorization, X-Amz-Date or
// X-Amz-Security-Token (the signer adds those). A header value may span lines
// (obsolete folding); it is signed with the line breaks collapsed.
struct HttpRequest {
  std::string method;
  std::string path;
  std::string query;
  // As sent, names in any case.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct SigningParams {
  std::string region;
  std::string service;
  absl::Time time;
  // S3 is the only service that signs the path un-normalized; Kinesis and
  // STS normalize. The test suite's "-unnormalized"/"normalized" cases use it.
  bool normalize_path = true;
  // Adds and signs `x-amz-content-sha256: <payload hash>` (S3 style; the
  // suite's "sign_body" cases). Kinesis and STS do not need it.
  bool add_content_sha256_header = false;
  // Sends X-Amz-Security-Token but leaves it out of the signature (the
  // suite's "omit_session_token"; a few services such as IoT want this).
  // Kinesis and STS sign the token.
  bool omit_session_token = false;
};

struct SignedParts {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lower-case hex
  // Headers to add to the request as sent, in this order (the suite's):
  // X-Amz-Security-Token (when a session token is set), X-Amz-Date,
  // x-amz-content-sha256 (when asked for) and Authorization.
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
