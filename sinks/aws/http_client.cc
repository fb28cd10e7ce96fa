#include "sinks/aws/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "sinks/aws/url.h"

namespace streamgate::aws {
namespace {

struct Transfer {
  std::string url;
  HttpRequest request;
  HttpClient::Callback done;
  curl_slist* headers = nullptr;
  HttpResponse response;
  size_t max_response_bytes = 0;
  char error_buffer[CURL_ERROR_SIZE] = {0};
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->response.body.size() + size * n > t->max_response_bytes) {
    t->response.answer_too_long = true;
    return 0;  // curl aborts the transfer with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, size * n);
  return size * n;
}

TransportError Classify(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
      return TransportError::kConnectFailed;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportError::kTimeout;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return TransportError::kConnectionReset;
    default:
      return TransportError::kOther;
  }
}

void Fail(Transfer& t, TransportError error, const char* message) {
  t.response.error = error;
  t.response.error_message = message;
  t.response.body.clear();
  if (t.headers != nullptr) curl_slist_free_all(t.headers);
  t.headers = nullptr;
  t.done(std::move(t.response));
}

// "1 MiB" for whole MiB, else bytes: the bound as a reader would write it.
std::string SizeText(size_t bytes) {
  if (bytes % (1 << 20) == 0) return absl::StrCat(bytes >> 20, " MiB");
  return absl::StrCat(bytes, " bytes");
}

}  // namespace

const char* TransportErrorName(TransportError e) {
  switch (e) {
    case TransportError::kNone: return "none";
    case TransportError::kConnectFailed: return "ConnectFailed";
    case TransportError::kTimeout: return "Timeout";
    case TransportError::kConnectionReset: return "ConnectionReset";
    case TransportError::kAborted: return "Aborted";
    case TransportError::kOther: return "TransportError";
  }
  return "TransportError";
}

// The curl multi handle, its queue and its thread.
class HttpClient::Engine {
 public:
  explicit Engine(const HttpOptions& options)
      : options_(options),
        max_in_flight_(static_cast<size_t>(std::max(1, options.max_in_flight))) {
    static std::once_flag init;
    static CURLcode init_result = CURLE_OK;
    std::call_once(init, [] { init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
    if (init_result == CURLE_OK) multi_ = curl_multi_init();
    if (multi_ != nullptr) {
      curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS,
                        static_cast<long>(max_in_flight_));
    }
  }

  ~Engine() {
    Shutdown();
    for (CURL* e : idle_) curl_easy_cleanup(e);
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
  }

  void Send(std::unique_ptr<Transfer> t) {
    const char* refusal = "HTTP client shut down";
    {
      absl::MutexLock lock(&mu_);
      if (multi_ == nullptr) {
        refusal = "curl could not be initialised";
      } else if (!stopped_) {
        queue_.push_back(std::move(t));
        // The thread starts with the first request: a provider that is
        // never asked costs no thread.
        if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
      }
    }
    if (t != nullptr) {
      Fail(*t, TransportError::kAborted, refusal);
      return;
    }
    curl_multi_wakeup(multi_);
  }

  void Shutdown() {
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    if (multi_ != nullptr) curl_multi_wakeup(multi_);
    if (thread_.joinable()) thread_.join();
  }

 private:
  void Start(std::unique_ptr<Transfer> t) {
    CURL* easy;
    if (!idle_.empty()) {
      easy = idle_.back();
      idle_.pop_back();
      curl_easy_reset(easy);
    } else {
      easy = curl_easy_init();
    }
    if (easy == nullptr) {
      Fail(*t, TransportError::kOther, "curl_easy_init failed");
      return;
    }
    const HttpRequest& req = t->request;
    t->url = absl::StrCat(t->url, req.path);
    if (!req.query.empty()) absl::StrAppend(&t->url, "?", req.query);
    curl_easy_setopt(easy, CURLOPT_URL, t->url.c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    for (const auto& [name, value] : req.headers) {
      t->headers = curl_slist_append(t->headers, absl::StrCat(name, ": ", value).c_str());
    }
    // Keep curl from adding headers of its own that change the exchange
    // (no 100-continue round trip; no Accept the caller did not ask for).
    t->headers = curl_slist_append(t->headers, "Expect:");
    bool has_accept = false;
    for (const auto& h : req.headers) has_accept |= absl::EqualsIgnoreCase(h.first, "Accept");
    if (!has_accept) t->headers = curl_slist_append(t->headers, "Accept:");
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
    if (req.method == "GET") {
      curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else {
      // POSTFIELDS for any method with a body, PUT included, so curl sends
      // Content-Length even when the body is empty (IMDS token PUT).
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(req.body.size()));
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req.body.data());
      if (req.method != "POST") {
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      }
    }
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->error_buffer);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);  // required with threads
    // One request per connection at a time, several connections: the
    // in-flight limit then means what it says, on any server.
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(options_.request_timeout)));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
    if (!options_.ca_file.empty()) {
      curl_easy_setopt(easy, CURLOPT_CAINFO, options_.ca_file.c_str());
    }
    if (!options_.use_proxy) curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
    curl_multi_add_handle(multi_, easy);
    running_.emplace(easy, std::move(t));
  }

  void Finish(CURL* easy, CURLcode code) {
    auto it = running_.find(easy);
    if (it == running_.end()) return;
    std::unique_ptr<Transfer> t = std::move(it->second);
    running_.erase(it);
    curl_multi_remove_handle(multi_, easy);
    HttpResponse& r = t->response;
    if (code == CURLE_OK) {
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r.status);
    } else {
      r.error = Classify(code);
      r.error_message = r.answer_too_long
                            ? absl::StrCat("answer longer than ",
                                           t->max_response_bytes, " bytes")
                            : t->error_buffer[0] ? t->error_buffer
                                                 : curl_easy_strerror(code);
      curl_off_t uploaded = 0;
      long header_bytes = 0;
      curl_easy_getinfo(easy, CURLINFO_SIZE_UPLOAD_T, &uploaded);
      curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &header_bytes);
      r.request_sent = r.error != TransportError::kConnectFailed && header_bytes > 0 &&
                       uploaded >= static_cast<curl_off_t>(t->request.body.size());
      r.body.clear();
    }
    curl_slist_free_all(t->headers);
    t->headers = nullptr;
    idle_.push_back(easy);
    t->done(std::move(r));
  }

  void Run() {
    while (true) {
      std::deque<std::unique_ptr<Transfer>> starting;
      {
        absl::MutexLock lock(&mu_);
        if (stopped_) break;
        while (!queue_.empty() &&
               running_.size() + starting.size() < max_in_flight_) {
          starting.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      for (auto& t : starting) Start(std::move(t));
      int still_running = 0;
      curl_multi_perform(multi_, &still_running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
        if (msg->msg == CURLMSG_DONE) Finish(msg->easy_handle, msg->data.result);
      }
      bool more_queued;
      {
        absl::MutexLock lock(&mu_);
        more_queued = !queue_.empty() && running_.size() < max_in_flight_;
      }
      if (!more_queued) curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
    // Shut down: fail what is left, running first (oldest).
    for (auto& [easy, t] : running_) {
      curl_multi_remove_handle(multi_, easy);
      idle_.push_back(easy);
      Fail(*t, TransportError::kAborted, "HTTP client shut down");
    }
    running_.clear();
    std::deque<std::unique_ptr<Transfer>> queued;
    {
      absl::MutexLock lock(&mu_);
      queued.swap(queue_);
    }
    for (auto& t : queued) Fail(*t, TransportError::kAborted, "HTTP client shut down");
  }

  const HttpOptions& options_;
  const size_t max_in_flight_;
  CURLM* multi_ = nullptr;
  absl::Mutex mu_;
  std::deque<std::unique_ptr<Transfer>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // started under mu_, joined by Shutdown
  // Owned by the client thread.
  std::map<CURL*, std::unique_ptr<Transfer>> running_;
  std::vector<CURL*> idle_;
};

HttpClient::HttpClient(HttpOptions options)
    : options_(std::move(options)), engine_(std::make_unique<Engine>(options_)) {}

HttpClient::~HttpClient() { engine_->Shutdown(); }

void HttpClient::Send(const std::string& origin, HttpRequest request,
                      Callback done) const {
  auto t = std::make_unique<Transfer>();
  t->max_response_bytes = options_.max_response_bytes;
  t->url = origin;
  t->request = std::move(request);
  t->done = std::move(done);
  engine_->Send(std::move(t));
}

HttpResponse HttpClient::SendSync(const std::string& origin,
                                  HttpRequest request) const {
  absl::Notification done;
  HttpResponse out;
  Send(origin, std::move(request), [&](HttpResponse r) {
    out = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return out;
}

absl::StatusOr<HttpResponse> HttpClient::Fetch(const std::string& method,
                                               const std::string& url,
                                               const Headers& headers,
                                               const std::string& body) const {
  // The URL without its query, for messages: a query could carry a token
  // and has no diagnostic value.
  const std::string shown = url.substr(0, url.find('?'));
  absl::StatusOr<Url> parsed = ParseUrl(url);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(method, " ", shown, ": ", parsed.status().message()));
  }
  HttpRequest request;
  request.method = method;
  request.path = parsed->path;
  request.query = parsed->query;
  request.headers = headers;
  request.body = body;
  HttpResponse response = SendSync(parsed->origin(), std::move(request));
  if (response.error == TransportError::kNone) return response;
  if (response.answer_too_long) {
    return absl::ResourceExhaustedError(absl::StrCat(
        method, " ", shown, ": response over ", SizeText(options_.max_response_bytes)));
  }
  std::string message =
      absl::StrCat(method, " ", shown, " failed: ", response.error_message);
  if (response.error == TransportError::kTimeout) {
    return absl::DeadlineExceededError(message);
  }
  return absl::UnavailableError(message);
}

void HttpClient::Shutdown() { engine_->Shutdown(); }

std::string FormEncode(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  auto encode = [](const std::string& s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
      if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
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

}  // namespace streamgate::aws
