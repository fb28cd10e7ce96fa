// MetricsServer: serves GET /metrics in the Prometheus text format over HTTP
// (libmicrohttpd, its own polling thread). Each scrape calls the collect
// function, which fills a fresh TextExposition; anything else is 404.
//
// Threading: Start/Stop from the main thread; `collect` runs on the server's
// thread, one scrape at a time, and must only read thread-safe state.
#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "gateway/api/metrics_writer.h"

struct MHD_Daemon;

namespace streamgate::metrics {

class MetricsServer {
 public:
  using CollectFn = std::function<void(MetricsWriter&)>;

  // `listen` is "HOST:PORT" with a numeric IPv4 host; port 0 picks one.
  MetricsServer(std::string listen, CollectFn collect);
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

 private:
  const std::string listen_;
  const CollectFn collect_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
};

// Checks "HOST:PORT" as the config accepts it; for error messages.
absl::Status ValidateListenAddress(const std::string& listen);

}  // namespace streamgate::metrics
