// HttpClient: asynchronous HTTP/1.1 over one curl multi handle, driven by
// one thread of its own. Connections are kept and reused; at most
// max_in_flight requests run at once (more wait in a queue, and their timeout
// starts only when they run). TLS certificates are verified unless
// verify_tls is false; ca_file replaces the system bundle.
//
// Threading: Send and SendSync may be called from any thread. Completion
// callbacks run on the client's thread, one at a time; they must not block
// for long and must not call SendSync. Shutdown (also run by the destructor)
// fails what is still queued or running with kAborted and joins the thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sinks/aws/sigv4.h"

namespace streamgate::kinesis {

struct HttpClientOptions {
  int max_in_flight = 8;
  absl::Duration request_timeout = absl::Seconds(30);
  absl::Duration connect_timeout = absl::Seconds(5);
  bool verify_tls = true;
  std::string ca_file;  // empty: system bundle
  // A longer answer is cut off and reported as a transport error (the
  // request may have been acted on): one misbehaving endpoint must not grow
  // a buffer without bound. PutRecords answers are ~150 bytes a record.
  size_t max_response_bytes = 8 << 20;
};

enum class TransportError {
  kNone,             // an HTTP answer came (any status)
  kConnectFailed,    // never reached the server: the request was not sent
  kTimeout,          // no (complete) answer in time
  kConnectionReset,  // connection closed or reset before a complete answer
  kAborted,          // client shut down
  kOther,
};

struct HttpResponse {
  TransportError error = TransportError::kNone;
  std::string error_message;  // curl's text for transport errors
  // The whole body was handed to the network before the failure, so the
  // server may have acted on it (only meaningful when error != kNone).
  bool request_sent = false;
  long status = 0;
  std::string body;
};

const char* TransportErrorName(TransportError e);

class HttpClient {
 public:
  using Callback = std::function<void(HttpResponse)>;

  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(
      const HttpClientOptions& options);
  virtual ~HttpClient() = default;

  // `url` is scheme://host[:port] (the request's path is appended).
  virtual void Send(const std::string& url, aws::HttpRequest request,
                    Callback done) = 0;

  // Convenience for tools and tests: waits for the answer.
  HttpResponse SendSync(const std::string& url, aws::HttpRequest request);

  virtual void Shutdown() = 0;
};

}  // namespace streamgate::kinesis
