// Parsing of the credential documents served by the container credentials
// endpoint and EC2 instance metadata (same JSON shape: AccessKeyId,
// SecretAccessKey, Token, Expiration; IMDS adds Code), and of AWS
// timestamps. Pure functions, thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sinks/aws/sigv4.h"

namespace streamgate::aws {

// Parses an ISO 8601 / RFC 3339 timestamp ("2030-01-01T00:00:00Z").
absl::StatusOr<absl::Time> ParseAwsTime(absl::string_view text);

// Parses a credentials JSON document. `source` names the provider in error
// messages; messages never quote the document (it holds secrets).
absl::StatusOr<Credentials> ParseJsonCredentials(absl::string_view json,
                                                 absl::string_view source);

}  // namespace streamgate::aws
