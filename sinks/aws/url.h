// The one URL parser of the AWS plumbing: http and https URLs split into
// what a request needs (origin for the HTTP client, Host header and path
// for signing, query). ParseEndpoint adds the rules of a service endpoint
// (Kinesis, STS): no query, no fragment, no trailing '/'. Hand-written
// rather than curl's, so config checks (--check-config) and the signer
// see exactly the host and path that are sent.
//
// Pure functions on values; thread-safe.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace streamgate::aws {

struct Url {
  bool https = true;
  // Lower case; an IPv6 literal without its brackets (for address checks).
  std::string host;
  // The Host header: host (IPv6 in brackets), plus ":port" unless it is
  // the scheme's default, the way requests are signed.
  std::string authority;
  // As given (already percent-encoded); "/" when the URL has none.
  std::string path;
  // After '?', without it; empty when none.
  std::string query;

  // "http(s)://authority": what HttpClient::Send takes with a request.
  std::string origin() const {
    return (https ? "https://" : "http://") + authority;
  }
};

// "http://host[:port][/path][?query][#fragment]" or https (scheme in any
// case); the fragment is dropped. Refuses user info, a host with
// characters other than letters, digits, '.', '-', '_' (or an IPv6 literal
// in brackets), a port outside 1-65535, and spaces or control characters.
// Errors read like "must be an http:// or https:// URL" (callers prefix
// the field or variable).
absl::StatusOr<Url> ParseUrl(absl::string_view url);

// A service endpoint: ParseUrl, but a query or fragment is an error, and
// trailing '/' are dropped from the path ("/" stays).
absl::StatusOr<Url> ParseEndpoint(absl::string_view url);

}  // namespace streamgate::aws
