#include "gateway/server/server.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/grpc/grpc_adapter.h"
#include "gateway/api/config_reader.h"
#include "gateway/common/async_log_sink.h"
#include "gateway/common/logging.h"
#include "gateway/core/process_metrics.h"

namespace streamgate {
namespace {

// Every config error carries its source, whoever found it.
absl::Status InConfig(const GatewayConfig &c, const absl::Status &st) {
  const std::string prefix = absl::StrCat("config ", c.source, ": ");
  if (absl::StartsWith(st.message(), prefix)) return st;
  return absl::Status(st.code(), absl::StrCat(prefix, st.message()));
}

// The watchdog's verdict: the process is wedged or too big. Exit at once
// (no drain: a wedged process may never finish one) so the supervisor
// restarts it; records in memory queues are lost, a spool keeps them.
[[noreturn]] void ExitForRestart(const std::string &why) {
  spdlog::critical("watchdog: {}: exiting with code 3 for a restart", why);
  spdlog::default_logger()->flush();
  std::fflush(stdout);
  std::_Exit(3);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Create(
    GatewayConfig config, const SinkRegistry &sinks,
    const AdapterRegistry &adapters) {
  std::unique_ptr<Server> s(new Server());
  s->config_ = std::move(config);
  const GatewayConfig &c = s->config_;
  auto pipeline = Pipeline::Create(c, sinks);
  if (!pipeline.ok()) return InConfig(c, pipeline.status());
  s->pipeline_ = *std::move(pipeline);
  const ConfigReader root(c.root, "");
  const AdapterContext context{s->pipeline_->ingest(), s->pipeline_->rejects(),
                               *s->pipeline_};
  for (const auto &factory : adapters.factories()) {
    auto adapter = factory->Create(root, context);
    if (!adapter.ok()) return InConfig(c, adapter.status());
    if (*adapter) s->adapters_.push_back(*std::move(adapter));
  }
  return s;
}

Server::~Server() {
  if (started_) Shutdown();
}

absl::Status Server::Start() {
  if (auto st = pipeline_->Start(); !st.ok()) return st;
  started_ = true;
  if (!config_.metrics.listen.empty()) {
    metrics_server_ = std::make_unique<metrics::MetricsServer>(
        config_.metrics.listen,
        [this](metrics::MetricsWriter &out) { CollectMetrics(out); });
    absl::Status st = metrics_server_->Start();
    if (!st.ok()) {
      Shutdown();
      return st;
    }
    spdlog::info("metrics: serving http://{}/metrics", config_.metrics.listen);
  }
  for (auto &a : adapters_) {
    absl::Status st = a->Start();
    if (!st.ok()) {
      Shutdown();
      return st;
    }
  }
  StartWatchdog();
  spdlog::info("streamgate: started with {} module(s)",
               pipeline_->modules().size());
  return absl::OkStatus();
}

void Server::StartWatchdog() {
  const LimitsConfig &l = config_.limits;
  if (l.watchdog_interval_ms == 0) {
    spdlog::warn("watchdog: off (limits.watchdog_interval_ms: 0)");
    return;
  }
  Watchdog::Options o;
  o.interval = absl::Milliseconds(l.watchdog_interval_ms);
  o.timeout = absl::Milliseconds(l.watchdog_timeout_ms);
  o.failures = static_cast<int>(l.watchdog_failures);
  o.max_rss_bytes = l.max_rss_bytes;
  Watchdog::Probe probe;
  const GrpcAdapter *grpc = nullptr;
  for (const auto &a : adapters_) {
    if (auto *g = dynamic_cast<const GrpcAdapter *>(a.get())) grpc = g;
  }
  if (grpc != nullptr && grpc->can_probe_listener()) {
    probe = [grpc](absl::Duration timeout) {
      return grpc->ProbeListener(timeout);
    };
  }
  spdlog::info(
      "watchdog: every {} ms; gRPC listener probe {}; max_rss_bytes {}",
      l.watchdog_interval_ms,
      probe ? absl::StrCat("on (", l.watchdog_failures, " failures of ",
                           l.watchdog_timeout_ms, " ms)")
            : std::string("off (no gRPC listener)"),
      l.max_rss_bytes == 0 ? std::string("off")
                           : absl::StrCat(l.max_rss_bytes));
  watchdog_ = std::make_unique<Watchdog>(
      o, std::move(probe), &Watchdog::ReadSelfRss, &ExitForRestart);
  watchdog_->Start();
}

bool Server::Shutdown() {
  if (!started_) return true;
  started_ = false;
  if (watchdog_) watchdog_->Stop();
  const absl::Time deadline = absl::Now() + config_.shutdown_timeout;
  spdlog::info("streamgate: shutting down (deadline {} ms)",
               absl::ToInt64Milliseconds(config_.shutdown_timeout));
  absl::Duration grace = absl::ZeroDuration();
  for (auto &a : adapters_) {
    a->StopAccepting();
    grace = std::max(grace, a->DrainGrace());
  }
  pipeline_->StopAccepting();
  // Calls that still arrive get UNAVAILABLE from us rather than CANCELLED
  // from a closing server; health watchers see NOT_SERVING meanwhile.
  absl::SleepFor(std::min(grace, config_.shutdown_timeout / 4));
  // In-flight calls get part of the budget; the rest is for the sinks.
  const absl::Time calls_deadline =
      absl::Now() + std::min(absl::Seconds(5), config_.shutdown_timeout / 2);
  for (auto &a : adapters_) a->Shutdown(calls_deadline);
  const bool clean = pipeline_->Stop(deadline);
  spdlog::info("streamgate: stopped{}",
               clean ? "" : " with undelivered records");
  if (metrics_server_) metrics_server_->Stop();
  return clean;
}

void Server::Reload(DeviceMap devices) {
  const size_t n = devices.size();
  pipeline_->ReloadDevices(std::move(devices));
  for (auto &a : adapters_) a->Reload();
  spdlog::info("streamgate: device registry reloaded ({} devices)", n);
}

int Server::grpc_port() const {
  for (const auto &a : adapters_) {
    if (auto *grpc = dynamic_cast<const GrpcAdapter *>(a.get())) {
      return grpc->port();
    }
  }
  return 0;
}

int Server::metrics_port() const {
  return metrics_server_ ? metrics_server_->port() : 0;
}

void Server::CollectMetrics(metrics::MetricsWriter &out) const {
  pipeline_->CollectMetrics(out);
  for (const auto &a : adapters_) a->CollectMetrics(out);
  metrics::CollectProcessMetrics(out);
  pipeline_->CollectDoorMetrics(out);
  CollectLogMetrics(out);
}

}  // namespace streamgate
