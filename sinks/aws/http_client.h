// HttpClient: a small blocking HTTP(S) client on libcurl's easy interface,
// for the rare calls of the credential providers (STS, instance metadata,
// container credentials). Not for the Kinesis data path.
//
// Threading: thread-safe; every Send uses its own curl handle. Send blocks
// for at most the configured timeouts.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace streamgate::aws {

struct HttpOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(10);  // whole transfer
  std::string ca_file;     // empty: the system's CA store
  bool verify_tls = true;  // peer certificate and host name
  // Metadata endpoints are link-local: a proxy could only break them.
  bool use_proxy = true;
};

struct HttpResponse {
  long status = 0;
  std::string body;
};

// The parts of an http/https URL a signer needs.
struct ParsedUrl {
  std::string scheme;       // "http" or "https"
  std::string host;         // without brackets for IPv6
  std::string host_header;  // host[:port], port only when not the default
  std::string path;         // "/" when empty
  std::string query;        // without '?'
};

// Parses an http:// or https:// URL; InvalidArgument otherwise.
absl::StatusOr<ParsedUrl> ParseHttpUrl(const std::string& url);

// Percent-encodes everything but RFC 3986 unreserved characters (what an
// x-www-form-urlencoded body for AWS query APIs needs).
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);

  // Sends one request and returns the status and body of any HTTP answer
  // (including 4xx/5xx). Transport failures (DNS, connect, TLS, timeout)
  // are Unavailable / DeadlineExceeded. Bodies over 1 MiB are refused.
  absl::StatusOr<HttpResponse> Send(
      const std::string& method, const std::string& url,
      const std::vector<std::pair<std::string, std::string>>& headers,
      const std::string& body) const;

  const HttpOptions& options() const { return options_; }

 private:
  HttpOptions options_;
};

}  // namespace streamgate::aws
