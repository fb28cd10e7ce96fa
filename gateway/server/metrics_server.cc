#include "gateway/server/metrics_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/core/text_exposition.h"

namespace streamgate::metrics {
namespace {

absl::Status ParseListen(const std::string& listen, sockaddr_in* addr) {
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(listen).substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics.listen: '", listen, "' is not HOST:PORT"));
  }
  std::memset(addr, 0, sizeof(*addr));
  addr->sin_family = AF_INET;
  addr->sin_port = htons(static_cast<uint16_t>(port));
  std::string host = listen.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  if (inet_pton(AF_INET, host.c_str(), &addr->sin_addr) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metrics.listen: '", listen,
        "': host must be a numeric IPv4 address (e.g. 127.0.0.1)"));
  }
  return absl::OkStatus();
}

MHD_Result Respond(MHD_Connection* connection, unsigned int code,
                   const std::string& body, const char* content_type) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                          content_type);
  MHD_Result ret = MHD_queue_response(connection, code, response);
  MHD_destroy_response(response);
  return ret;
}

MHD_Result Handle(void* cls, MHD_Connection* connection, const char* url,
                  const char* method, const char* /*version*/,
                  const char* /*upload_data*/, size_t* upload_data_size,
                  void** /*con_cls*/) {
  const auto* server = static_cast<const MetricsServer*>(cls);
  if (*upload_data_size != 0) {
    *upload_data_size = 0;  // a GET has no body; ignore any
    return MHD_YES;
  }
  if (std::strcmp(url, "/metrics") != 0) {
    return Respond(connection, MHD_HTTP_NOT_FOUND, "not found; see /metrics\n",
                   "text/plain; charset=utf-8");
  }
  if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
    return Respond(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
                   "only GET /metrics\n", "text/plain; charset=utf-8");
  }
  return Respond(connection, MHD_HTTP_OK, server->Scrape(),
                 "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace

absl::Status ValidateListenAddress(const std::string& listen) {
  sockaddr_in addr;
  return ParseListen(listen, &addr);
}

MetricsServer::MetricsServer(std::string listen, CollectFn collect)
    : listen_(std::move(listen)), collect_(std::move(collect)) {}

MetricsServer::~MetricsServer() { Stop(); }

absl::Status MetricsServer::Start() {
  sockaddr_in addr;
  absl::Status st = ParseListen(listen_, &addr);
  if (!st.ok()) return st;
  // One internal thread is plenty for a scraper every few seconds, and it
  // keeps scrapes serialized (collect_ need not be reentrant).
  daemon_ = MHD_start_daemon(
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, nullptr,
      nullptr, &Handle, this, MHD_OPTION_SOCK_ADDR,
      reinterpret_cast<const sockaddr*>(&addr), MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned int>(30), MHD_OPTION_END);
  if (daemon_ == nullptr) {
    return absl::UnavailableError(absl::StrCat(
        "metrics.listen: cannot serve on ", listen_,
        " (address in use or not local?)"));
  }
  const MHD_DaemonInfo* info =
      MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
  port_ = info != nullptr ? info->port : ntohs(addr.sin_port);
  return absl::OkStatus();
}

void MetricsServer::Stop() {
  if (daemon_ != nullptr) {
    MHD_stop_daemon(daemon_);
    daemon_ = nullptr;
  }
}

std::string MetricsServer::Scrape() const {
  TextExposition text;
  collect_(text);
  return text.Render();
}

}  // namespace streamgate::metrics
