#include "sinks/aws/http_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace streamgate::aws {
namespace {

constexpr size_t kMaxBodyBytes = 1 << 20;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
  std::string body;
  bool too_large = false;
};

size_t WriteBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const size_t n = size * nmemb;
  if (sink->body.size() + n > kMaxBodyBytes) {
    sink->too_large = true;
    return 0;  // makes curl fail the transfer
  }
  sink->body.append(data, n);
  return n;
}

// Part of a URL handle as a std::string; empty when absent.
std::string UrlPart(CURLU* url, CURLUPart part) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, 0) != CURLUE_OK || value == nullptr) {
    return "";
  }
  std::string out(value);
  curl_free(value);
  return out;
}

// The URL without its query, for error messages: a query could carry a
// token and has no diagnostic value.
std::string UrlForMessage(const std::string& url) {
  return url.substr(0, url.find('?'));
}

}  // namespace

absl::StatusOr<ParsedUrl> ParseHttpUrl(const std::string& url) {
  std::unique_ptr<CURLU, void (*)(CURLU*)> handle(curl_url(), &curl_url_cleanup);
  if (handle == nullptr) return absl::ResourceExhaustedError("curl_url failed");
  if (curl_url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a valid URL: ", UrlForMessage(url)));
  }
  ParsedUrl parsed;
  parsed.scheme = absl::AsciiStrToLower(UrlPart(handle.get(), CURLUPART_SCHEME));
  if (parsed.scheme != "http" && parsed.scheme != "https") {
    return absl::InvalidArgumentError(
        absl::StrCat("URL must be http or https: ", UrlForMessage(url)));
  }
  parsed.host = UrlPart(handle.get(), CURLUPART_HOST);
  if (parsed.host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL has no host: ", UrlForMessage(url)));
  }
  const std::string port = UrlPart(handle.get(), CURLUPART_PORT);
  parsed.host_header = parsed.host;
  if (!port.empty()) absl::StrAppend(&parsed.host_header, ":", port);
  if (!parsed.host.empty() && parsed.host.front() == '[' &&
      parsed.host.back() == ']') {
    parsed.host = parsed.host.substr(1, parsed.host.size() - 2);
  }
  parsed.path = UrlPart(handle.get(), CURLUPART_PATH);
  if (parsed.path.empty()) parsed.path = "/";
  parsed.query = UrlPart(handle.get(), CURLUPART_QUERY);
  return parsed;
}

std::string FormEncode(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  auto encode = [](const std::string& s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
      if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
          c == '~') {
        out.push_back(static_cast<char>(c));
      } else {
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
    }
    return out;
  };
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body.push_back('&');
    absl::StrAppend(&body, encode(name), "=", encode(value));
  }
  return body;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
  GlobalInitOnce();
}

absl::StatusOr<HttpResponse> HttpClient::Send(
    const std::string& method, const std::string& url,
    const std::vector<std::pair<std::string, std::string>>& headers,
    const std::string& body) const {
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(),
                                              &curl_easy_cleanup);
  if (curl == nullptr) return absl::ResourceExhaustedError("curl_easy_init failed");
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_list(
      nullptr, &curl_slist_free_all);
  auto add_header = [&](const std::string& line) {
    header_list.reset(curl_slist_append(header_list.release(), line.c_str()));
  };
  for (const auto& [name, value] : headers) add_header(absl::StrCat(name, ": ", value));
  add_header("Expect:");  // no 100-continue round trip for small bodies

  Sink sink;
  char error[CURL_ERROR_SIZE] = {0};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // required with threads
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.request_timeout)));
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_file.empty()) {
    curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  }
  if (!options_.use_proxy) curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  if (method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    // POSTFIELDS for any method with a body (PUT included) so curl sends
    // Content-Length even when the body is empty (IMDS token PUT).
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    if (method != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  }

  const CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) {
    std::string detail = error[0] != 0 ? error : curl_easy_strerror(code);
    std::string message =
        absl::StrCat(method, " ", UrlForMessage(url), " failed: ", detail);
    if (sink.too_large) {
      return absl::ResourceExhaustedError(
          absl::StrCat(method, " ", UrlForMessage(url), ": response over 1 MiB"));
    }
    if (code == CURLE_OPERATION_TIMEDOUT) return absl::DeadlineExceededError(message);
    return absl::UnavailableError(message);
  }
  HttpResponse response;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  response.body = std::move(sink.body);
  return response;
}

}  // namespace streamgate::aws
