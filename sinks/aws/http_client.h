// HttpClient: the one HTTP/1.1 client of the AWS plumbing (Kinesis
// PutRecords, STS, instance metadata, container credentials,
// streamgate-tail). Asynchronous over one curl multi handle driven by a
// thread of its own, started with the first request: connections are kept
// and reused, at most max_in_flight requests run at once (more wait in a
// queue, and their timeout starts only when they run). Two blocking
// conveniences sit on top: SendSync (the same answer, waited for) and
// Fetch (a whole URL, transport failures as a Status) for the rare calls of
// the credential providers.
//
// TLS certificates are verified unless verify_tls is false; ca_file
// replaces the system bundle. Only http and https are spoken; redirects are
// not followed. An answer longer than max_response_bytes is cut off and
// reported as a transport error: one misbehaving endpoint must not grow a
// buffer without bound.
//
// Threading: every method may be called from any thread. Completion
// callbacks run on the client's thread, one at a time; they must not block
// for long and must not wait for another request of the same client.
// Shutdown (also run by the destructor) fails what is still queued or
// running with kAborted and joins the thread; requests after it fail the
// same way at once.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sinks/aws/sigv4.h"

namespace streamgate::aws {

struct HttpOptions {
  int max_in_flight = 8;
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(10);  // whole transfer
  std::string ca_file;     // empty: the system's CA store
  bool verify_tls = true;  // peer certificate and host name
  // Metadata endpoints are link-local: a proxy could only break them.
  bool use_proxy = true;
  // Credential answers are small; Kinesis and streamgate-tail raise it.
  size_t max_response_bytes = 1 << 20;
};

enum class TransportError {
  kNone,             // an HTTP answer came (any status)
  kConnectFailed,    // never reached the server: the request was not sent
  kTimeout,          // no (complete) answer in time
  kConnectionReset,  // connection closed or reset before a complete answer
  kAborted,          // client shut down
  kOther,            // anything else, including an answer over the bound
};

// The name used in error codes and metrics ("ConnectFailed", "Timeout"...).
const char* TransportErrorName(TransportError e);

struct HttpResponse {
  TransportError error = TransportError::kNone;
  std::string error_message;  // curl's text for transport errors
  // The whole body was handed to the network before the failure, so the
  // server may have acted on it (only meaningful when error != kNone).
  bool request_sent = false;
  // The answer was longer than max_response_bytes (error is kOther).
  bool answer_too_long = false;
  long status = 0;
  std::string body;  // empty after a transport error
};

class HttpClient {
 public:
  using Callback = std::function<void(HttpResponse)>;
  using Headers = std::vector<std::pair<std::string, std::string>>;

  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` to `origin` (scheme://host[:port], see Url::origin)
  // plus the request's path and query; `done` gets the answer or the
  // transport error. For methods other than GET the body is always sent
  // with its Content-Length (0 included).
  void Send(const std::string& origin, HttpRequest request,
            Callback done) const;

  // Send, waiting for the answer. Not from a completion callback.
  HttpResponse SendSync(const std::string& origin, HttpRequest request) const;

  // One blocking request to a whole http(s) URL. Returns the status and
  // body of any HTTP answer (4xx/5xx included); transport failures are
  // UNAVAILABLE ("METHOD URL failed: why"), DEADLINE_EXCEEDED for a
  // timeout, RESOURCE_EXHAUSTED for an answer over the bound. The URL's
  // query never appears in a message (it may carry a token).
  absl::StatusOr<HttpResponse> Fetch(const std::string& method,
                                     const std::string& url,
                                     const Headers& headers,
                                     const std::string& body) const;

  void Shutdown();

  const HttpOptions& options() const { return options_; }

 private:
  class Engine;  // the curl multi handle and its thread (http_client.cc)

  const HttpOptions options_;
  // Behind a pointer so requests are const: the client is a channel whose
  // state (queue, connections) is internal and locked.
  const std::unique_ptr<Engine> engine_;
};

// Percent-encodes everything but RFC 3986 unreserved characters (what an
// x-www-form-urlencoded body for AWS query APIs needs).
std::string FormEncode(
    const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace streamgate::aws
