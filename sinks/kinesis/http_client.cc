#include "sinks/kinesis/http_client.h"

#include <curl/curl.h>

#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace streamgate::kinesis {

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

HttpResponse HttpClient::SendSync(const std::string& url, aws::HttpRequest request) {
  absl::Notification done;
  HttpResponse out;
  Send(url, std::move(request), [&](HttpResponse r) {
    out = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return out;
}

namespace {

struct Transfer {
  std::string url;
  aws::HttpRequest request;
  HttpClient::Callback done;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpResponse response;
  size_t max_response_bytes = 0;
  bool too_long = false;
  char error_buffer[CURL_ERROR_SIZE] = {0};
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->response.body.size() + size * n > t->max_response_bytes) {
    t->too_long = true;
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

class CurlHttpClient : public HttpClient {
 public:
  CurlHttpClient(const HttpClientOptions& options, CURLM* multi)
      : options_(options), multi_(multi) {
    thread_ = std::thread([this] { Run(); });
  }

  ~CurlHttpClient() override {
    Shutdown();
    for (CURL* e : idle_) curl_easy_cleanup(e);
    curl_multi_cleanup(multi_);
  }

  void Send(const std::string& url, aws::HttpRequest request,
            Callback done) override {
    auto t = std::make_unique<Transfer>();
    t->max_response_bytes = options_.max_response_bytes;
    t->url = url;
    t->request = std::move(request);
    t->done = std::move(done);
    {
      absl::MutexLock lock(&mu_);
      if (!stopped_) {
        queue_.push_back(std::move(t));
      }
    }
    if (t) {  // client already shut down
      t->response.error = TransportError::kAborted;
      t->response.error_message = "HTTP client is shut down";
      t->done(std::move(t->response));
      return;
    }
    curl_multi_wakeup(multi_);
  }

  void Shutdown() override {
    {
      absl::MutexLock lock(&mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    curl_multi_wakeup(multi_);
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
    t->easy = easy;
    const aws::HttpRequest& req = t->request;
    std::string url = absl::StrCat(t->url, req.path);
    if (!req.query.empty()) absl::StrAppend(&url, "?", req.query);
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    for (const auto& [name, value] : req.headers) {
      t->headers = curl_slist_append(t->headers, absl::StrCat(name, ": ", value).c_str());
    }
    // Keep curl from adding headers of its own that change the exchange.
    t->headers = curl_slist_append(t->headers, "Expect:");
    t->headers = curl_slist_append(t->headers, "Accept:");
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
    if (req.method == "POST") {
      curl_easy_setopt(easy, CURLOPT_POST, 1L);
      curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(req.body.size()));
      curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req.body.data());
    } else if (req.method != "GET") {
      curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req.method.c_str());
      if (!req.body.empty()) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(req.body.size()));
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req.body.data());
      }
    }
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &WriteBody);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(easy, CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->error_buffer);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
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
      r.error_message = t->too_long
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

  void FailAll(std::unique_ptr<Transfer> t) {
    t->response.error = TransportError::kAborted;
    t->response.error_message = "HTTP client shut down";
    t->response.body.clear();
    if (t->headers) curl_slist_free_all(t->headers);
    t->done(std::move(t->response));
  }

  void Run() {
    while (true) {
      std::deque<std::unique_ptr<Transfer>> starting;
      {
        absl::MutexLock lock(&mu_);
        if (stopped_) break;
        while (!queue_.empty() &&
               running_.size() + starting.size() <
                   static_cast<size_t>(options_.max_in_flight)) {
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
        more_queued = !queue_.empty() &&
                      running_.size() < static_cast<size_t>(options_.max_in_flight);
      }
      if (!more_queued) curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
    // Shut down: fail what is left, running first (oldest).
    for (auto& [easy, t] : running_) {
      curl_multi_remove_handle(multi_, easy);
      idle_.push_back(easy);
      FailAll(std::move(t));
    }
    running_.clear();
    std::deque<std::unique_ptr<Transfer>> queued;
    {
      absl::MutexLock lock(&mu_);
      queued.swap(queue_);
    }
    for (auto& t : queued) FailAll(std::move(t));
  }

  const HttpClientOptions options_;
  CURLM* const multi_;
  std::thread thread_;
  absl::Mutex mu_;
  std::deque<std::unique_ptr<Transfer>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  // Owned by the client thread.
  std::map<CURL*, std::unique_ptr<Transfer>> running_;
  std::vector<CURL*> idle_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(
    const HttpClientOptions& options) {
  static std::once_flag init;
  static CURLcode init_result = CURLE_OK;
  std::call_once(init, [] { init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (init_result != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("curl_global_init: ", curl_easy_strerror(init_result)));
  }
  if (options.max_in_flight < 1) {
    return absl::InvalidArgumentError("max_in_flight must be at least 1");
  }
  CURLM* multi = curl_multi_init();
  if (multi == nullptr) return absl::InternalError("curl_multi_init failed");
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(options.max_in_flight));
  return std::unique_ptr<HttpClient>(new CurlHttpClient(options, multi));
}

}  // namespace streamgate::kinesis
