#include "gateway/server/metrics_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/core/text_exposition.h"
#include "gateway/server/status_page.h"

namespace streamgate::metrics {
namespace {

absl::Status ParseListen(const std::string& listen, sockaddr_in* addr) {
  const size_t colon = listen.rfind(':');
  int port = 0;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(listen).substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics.listen: '", listen, "' is not HOST:PORT"));
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
                   const std::string& body, const char* content_type,
                   bool challenge = false) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (challenge) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                            "Basic realm=\"streamgate\", charset=\"UTF-8\"");
  }
  MHD_Result ret = MHD_queue_response(connection, code, response);
  MHD_destroy_response(response);
  return ret;
}

constexpr char kText[] = "text/plain; charset=utf-8";

std::string PeerOf(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr ||
      info->client_addr->sa_family != AF_INET) {
    return "unknown";
  }
  const auto* in = reinterpret_cast<const sockaddr_in*>(info->client_addr);
  char text[INET_ADDRSTRLEN] = {0};
  inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
  return absl::StrCat(text, ":", ntohs(in->sin_port));
}

MHD_Result Handle(void* cls, MHD_Connection* connection, const char* url,
                  const char* method, const char* /*version*/,
                  const char* /*upload_data*/, size_t* upload_data_size,
                  void** /*con_cls*/) {
  const auto* server = static_cast<const MetricsServer*>(cls);
  const MetricsEndpoints& endpoints = server->endpoints();
  if (*upload_data_size != 0) {
    *upload_data_size = 0;  // a GET has no body; ignore any
    return MHD_YES;
  }
  const bool page =
      endpoints.status_json &&
      (std::strcmp(url, "/") == 0 || std::strcmp(url, "/status.json") == 0);
  const bool known = page || std::strcmp(url, "/metrics") == 0 ||
                     std::strcmp(url, "/healthz") == 0 ||
                     std::strcmp(url, "/readyz") == 0;
  if (!known) {
    return Respond(connection, MHD_HTTP_NOT_FOUND,
                   endpoints.status_json
                       ? "not found; see /, /status.json, /metrics, "
                         "/healthz, /readyz\n"
                       : "not found; see /metrics, /healthz, /readyz\n",
                   kText);
  }
  if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
    return Respond(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n",
                   kText);
  }
  if (std::strcmp(url, "/metrics") == 0) {
    return Respond(connection, MHD_HTTP_OK, server->Scrape(),
                   "text/plain; version=0.0.4; charset=utf-8");
  }
  if (std::strcmp(url, "/healthz") == 0) {
    return Respond(connection, MHD_HTTP_OK, "ok\n", kText);
  }
  if (std::strcmp(url, "/readyz") == 0) {
    const bool ready = !endpoints.ready || endpoints.ready();
    return Respond(connection,
                   ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
                   ready ? "ready\n" : "not ready\n", kText);
  }
  if (endpoints.authorize) {
    const char* authorization = MHD_lookup_connection_value(
        connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!endpoints.authorize(authorization, PeerOf(connection))) {
      return Respond(connection, MHD_HTTP_UNAUTHORIZED,
                     "an API key is required (Authorization: Bearer KEY, or "
                     "Basic with the key as password)\n",
                     kText, /*challenge=*/true);
    }
  }
  if (std::strcmp(url, "/") == 0) {
    return Respond(connection, MHD_HTTP_OK, StatusPageHtml(),
                   "text/html; charset=utf-8");
  }
  return Respond(connection, MHD_HTTP_OK, endpoints.status_json(),
                 "application/json");
}

}  // namespace

absl::Status ValidateListenAddress(const std::string& listen) {
  sockaddr_in addr;
  return ParseListen(listen, &addr);
}

MetricsServer::MetricsServer(std::string listen, MetricsEndpoints endpoints,
                             MetricsLimits limits)
    : listen_(std::move(listen)),
      endpoints_(std::move(endpoints)),
      limits_(limits) {}

MetricsServer::~MetricsServer() { Stop(); }

absl::Status MetricsServer::Start() {
  sockaddr_in addr;
  absl::Status st = ParseListen(listen_, &addr);
  if (!st.ok()) return st;
  // One internal thread is plenty for a scraper every few seconds, and it
  // keeps requests serialized (the endpoints need not be reentrant). epoll
  // has no FD_SETSIZE limit; the bounds keep a flood of idle connections
  // from taking every descriptor (a refused connection is closed at once).
  daemon_ = MHD_start_daemon(
      MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, nullptr, nullptr,
      &Handle, this, MHD_OPTION_SOCK_ADDR,
      reinterpret_cast<const sockaddr*>(&addr), MHD_OPTION_CONNECTION_TIMEOUT,
      limits_.idle_timeout_s, MHD_OPTION_CONNECTION_LIMIT,
      limits_.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      limits_.max_connections_per_ip, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      static_cast<size_t>(16 * 1024), MHD_OPTION_LISTEN_BACKLOG_SIZE,
      static_cast<unsigned int>(64), MHD_OPTION_END);
  if (daemon_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("metrics.listen: cannot serve on ", listen_,
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
  if (endpoints_.collect) endpoints_.collect(text);
  return text.Render();
}

}  // namespace streamgate::metrics
