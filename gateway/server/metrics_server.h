// MetricsServer: the gateway's management HTTP endpoint (libmicrohttpd, one
// epoll-driven thread): GET /metrics (Prometheus text format), /healthz
// (the process answers), /readyz (taking input), /status.json and the
// status page at /. Anything else is 404.
//
// epoll, not select(): a gateway holding more than 1,024 descriptors would
// otherwise refuse every scrape. Connections are bounded in total and per
// client address and idle ones time out, so a flood of half-open
// connections costs a bounded number of descriptors and cannot lock a
// scraper on another address out.
//
// Access: /metrics, /healthz and /readyz are open (scrapers and probes);
// / and /status.json go through `authorize` when it is set (the Admin
// service's API-key rule), answering 401 with a Basic challenge otherwise.
//
// Threading: Start/Stop from the main thread; the endpoint functions run on
// the server's thread, one request at a time, and must only read
// thread-safe state.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "gateway/api/metrics_writer.h"

struct MHD_Daemon;

namespace streamgate::metrics {

struct MetricsEndpoints {
  // Fills a scrape of /metrics.
  std::function<void(MetricsWriter&)> collect;
  // /readyz answers 200 while this returns true, else 503. Unset: ready.
  std::function<bool()> ready;
  // The body of /status.json. Unset: / and /status.json are 404.
  std::function<std::string()> status_json;
  // Given the request's Authorization header (nullptr when absent), true
  // when it may see / and /status.json. Unset: open.
  std::function<bool(const char* authorization, const std::string& peer)>
      authorize;
};

struct MetricsLimits {
  unsigned int max_connections = 128;
  unsigned int max_connections_per_ip = 16;
  unsigned int idle_timeout_s = 10;
};

class MetricsServer {
 public:
  // `listen` is "HOST:PORT" with a numeric IPv4 host; port 0 picks one.
  MetricsServer(std::string listen, MetricsEndpoints endpoints,
                MetricsLimits limits = {});
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds and starts serving; errors (bad address, port in use) name the
  // address.
  absl::Status Start();
  void Stop();

  int port() const { return port_; }
  // The body a scrape returns now (also what the HTTP handler sends).
  std::string Scrape() const;
  const MetricsEndpoints& endpoints() const { return endpoints_; }

 private:
  const std::string listen_;
  const MetricsEndpoints endpoints_;
  const MetricsLimits limits_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
};

// Checks "HOST:PORT" as the config accepts it; for error messages.
absl::Status ValidateListenAddress(const std::string& listen);

}  // namespace streamgate::metrics
