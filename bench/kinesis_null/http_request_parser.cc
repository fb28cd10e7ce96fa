#include "bench/kinesis_null/http_request_parser.h"

#include <cctype>
#include <cstdint>

namespace streamgate::bench {
namespace {

// Headers larger than this are not a Kinesis client's.
constexpr size_t kMaxHeaderBytes = 64 * 1024;
// PutRecords is at most 5 MiB of data, ~6.7 MiB once base64'd, plus JSON.
constexpr size_t kMaxBodyBytes = 16 * 1024 * 1024;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

ParseResult ParseHttpRequest(std::string_view buffer, HttpRequestView& out,
                             std::string_view& error) {
  const size_t head_end = buffer.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (buffer.size() > kMaxHeaderBytes) {
      error = "headers too large";
      return ParseResult::kBad;
    }
    return ParseResult::kNeedMore;
  }
  std::string_view head = buffer.substr(0, head_end);
  const size_t line_end = head.find("\r\n");
  std::string_view line = head.substr(0, line_end);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    error = "bad request line";
    return ParseResult::kBad;
  }
  out = HttpRequestView{};
  out.method = line.substr(0, sp1);
  out.path = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const bool http10 = line.substr(sp2 + 1) == "HTTP/1.0";
  out.keep_alive = !http10;

  uint64_t content_length = 0;
  std::string_view rest =
      line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!rest.empty()) {
    size_t eol = rest.find("\r\n");
    std::string_view header = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
    const size_t colon = header.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = header.substr(0, colon);
    std::string_view value = Trim(header.substr(colon + 1));
    if (EqualsIgnoreCase(name, "content-length")) {
      if (value.empty()) {
        error = "bad Content-Length";
        return ParseResult::kBad;
      }
      content_length = 0;
      for (char c : value) {
        if (c < '0' || c > '9' || content_length > kMaxBodyBytes) {
          error = "bad Content-Length";
          return ParseResult::kBad;
        }
        content_length = content_length * 10 + static_cast<uint64_t>(c - '0');
      }
    } else if (EqualsIgnoreCase(name, "x-amz-target")) {
      out.target = value;
    } else if (EqualsIgnoreCase(name, "connection")) {
      if (EqualsIgnoreCase(value, "close")) out.keep_alive = false;
      if (EqualsIgnoreCase(value, "keep-alive")) out.keep_alive = true;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      error = "chunked bodies are not supported; send Content-Length";
      return ParseResult::kBad;
    }
  }
  if (content_length > kMaxBodyBytes) {
    error = "body too large";
    return ParseResult::kBad;
  }
  const size_t total = head_end + 4 + content_length;
  if (buffer.size() < total) return ParseResult::kNeedMore;
  out.body = buffer.substr(head_end + 4, content_length);
  out.total_bytes = total;
  return ParseResult::kComplete;
}

}  // namespace streamgate::bench
