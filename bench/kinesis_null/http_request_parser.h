// Incremental HTTP/1.1 request framing for the null Kinesis endpoint: finds
// one complete request (request line, headers, Content-Length body) at the
// front of a connection's buffer. Only what a Kinesis client sends is
// understood: Content-Length bodies (chunked bodies are refused), keep-alive
// by default, `Connection: close`. Pure function; thread-compatible.
#pragma once

#include <cstddef>
#include <string_view>

namespace streamgate::bench {

struct HttpRequestView {
  std::string_view method;
  std::string_view path;
  std::string_view target;  // X-Amz-Target header value
  std::string_view body;
  bool keep_alive = true;
  size_t total_bytes = 0;   // request line + headers + body
};

enum class ParseResult { kComplete, kNeedMore, kBad };

// Parses the request at the start of `buffer`. On kComplete, `out` views
// point into `buffer`. On kBad, `error` says why (for the 400 answer).
ParseResult ParseHttpRequest(std::string_view buffer, HttpRequestView& out,
                             std::string_view& error);

}  // namespace streamgate::bench
