// Endpoint: a parsed http/https service URL (Kinesis or STS) and the Host
// header that goes with it. Pure value parsing; thread-compatible.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace streamgate::kinesis {

struct Endpoint {
  std::string url;   // as given, without a trailing '/'
  std::string host;  // Host header value: host, plus ":port" when not default
  std::string path;  // request path, "/" when none
  bool https = true;
};

// Accepts "http://host[:port][/path]" and "https://...". Refuses anything
// else, including user info and query strings.
absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view url);

}  // namespace streamgate::kinesis
