#include "gateway/server/server.h"

#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/grpc/grpc_adapter.h"
#include "adapters/grpc/grpc_config.h"
#include "gateway/api/config_reader.h"
#include "gateway/common/async_log_sink.h"
#include "gateway/common/log_text.h"
#include "gateway/common/logging.h"
#include "gateway/core/process_metrics.h"
#include "gateway/server/config_check.h"
#include "gateway/server/gateway_summary.h"

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

// Reads one gauge (without labels) out of an adapter's metrics: the status
// page shows the MQTT connection state the adapter already reports.
class GaugeProbe : public metrics::MetricsWriter {
 public:
  explicit GaugeProbe(absl::string_view name) : name_(name) {}
  void Counter(absl::string_view, absl::string_view, const metrics::Labels&,
               double) override {}
  void Gauge(absl::string_view name, absl::string_view, const metrics::Labels&,
             double value) override {
    if (name == name_) value_ = value;
  }
  void Histogram(absl::string_view, absl::string_view, const metrics::Labels&,
                 const metrics::HistogramSnapshot&) override {}
  absl::optional<double> value() const { return value_; }

 private:
  const std::string name_;
  absl::optional<double> value_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Create(
    GatewayConfig config, const SinkRegistry &sinks,
    const AdapterRegistry &adapters) {
  std::unique_ptr<Server> s(new Server());
  s->config_ = std::move(config);
  const GatewayConfig& c = s->config_;
  // Every module's sink on its own first, so one bad module does not hide
  // another's error; the adapters are then checked over the good ones.
  std::vector<std::string> errors;
  GatewayConfig usable = c;
  usable.modules.clear();
  for (const ModuleConfig& m : c.modules) {
    if (sinks.Find(m.sink_type) == nullptr) {
      errors.push_back(std::string(
          InConfig(c,
                   FieldError(
                       m.sink["type"],
                       absl::StrCat("module '", m.id, "': sink.type"),
                       absl::StrCat("unknown type '", m.sink_type, "' (known: ",
                                    absl::StrJoin(sinks.Types(), ", "), ")")))
              .message()));
      continue;
    }
    auto module = Module::Create(m, sinks, /*shared_dead_letters=*/nullptr);
    if (!module.ok()) {
      errors.push_back(std::string(InConfig(c, module.status()).message()));
      continue;
    }
    usable.modules.push_back(m);
  }
  auto pipeline = Pipeline::Create(usable, sinks);
  if (!pipeline.ok()) return InConfig(c, pipeline.status());
  s->pipeline_ = *std::move(pipeline);
  const ConfigReader root(c.root, "");
  const AdapterContext context{s->pipeline_->ingest(), s->pipeline_->rejects(),
                               *s->pipeline_};
  for (const auto& factory : adapters.factories()) {
    auto adapter = factory->Create(root, context);
    if (!adapter.ok()) {
      errors.push_back(std::string(InConfig(c, adapter.status()).message()));
    } else if (*adapter) {
      s->adapters_.push_back(*std::move(adapter));
    }
  }
  if (!errors.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
  }
  s->inputs_ = DescribeInputs(c);
  auto grpc = ParseGrpcAdapterConfig(root);
  if (!grpc.ok()) return InConfig(c, grpc.status());
  s->authenticator_ =
      std::make_unique<ApiKeyAuthenticator>(std::move(grpc->api_keys));
  s->summary_ = StartupSummary(c, s->inputs_);
  {
    absl::MutexLock lock(&s->targets_mu_);
    for (const ModuleConfig& m : c.modules) {
      s->sink_targets_[m.id] = SinkTarget(m);
    }
  }
  s->fingerprint_ = FingerprintConfig(c);
  // Built from it: the YAML document (with any inline `devices:` list) and
  // the registry copy are not kept; the pipeline holds the registry.
  // (reset rebinds a handle; assigning would write into the document.)
  s->config_.root.reset();
  for (ModuleConfig& m : s->config_.modules) m.sink.reset();
  s->config_.devices.reset();
  return s;
}

Server::~Server() {
  if (started_) Shutdown();
}

absl::Status Server::Start() {
  if (auto st = pipeline_->Start(); !st.ok()) return st;
  started_ = true;
  if (!config_.metrics.listen.empty()) {
    metrics::MetricsEndpoints endpoints;
    endpoints.collect = [this](metrics::MetricsWriter& out) {
      CollectMetrics(out);
    };
    endpoints.ready = [this] { return Ready(); };
    endpoints.status_json = [this] { return RenderStatusJson(Snapshot()); };
    if (authenticator_->enabled()) {
      endpoints.authorize = [this](const char* authorization,
                                   const std::string& peer) {
        return AuthorizeStatusPage(authorization, peer);
      };
    }
    metrics_server_ = std::make_unique<metrics::MetricsServer>(
        config_.metrics.listen, std::move(endpoints));
    absl::Status st = metrics_server_->Start();
    if (!st.ok()) {
      Shutdown();
      return st;
    }
    spdlog::info(
        "metrics: serving http://{}/metrics, /healthz, /readyz and the "
        "status page at /",
        config_.metrics.listen);
  }
  for (auto &a : adapters_) {
    absl::Status st = a->Start();
    if (!st.ok()) {
      Shutdown();
      return st;
    }
  }
  StartWatchdog();
  ready_.store(true, std::memory_order_release);
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
  ready_.store(false, std::memory_order_release);
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

void Server::ReloadDevices(std::shared_ptr<const DeviceTable> devices) {
  const size_t n = devices ? devices->size() : 0;
  pipeline_->ReloadDevices(std::move(devices));
  spdlog::info("streamgate: device registry reloaded ({} devices)", n);
}

void Server::ReloadRefused() {
  reloads_refused_.fetch_add(1, std::memory_order_relaxed);
  pipeline_->CountRefusedDeviceReload();
}

absl::Status Server::Reload(GatewayConfig fresh, const SinkRegistry& sinks,
                            bool apply_log_level) {
  auto refuse = [this](absl::Status st) {
    ReloadRefused();
    return st;
  };
  ConfigFingerprint fingerprint = FingerprintConfig(fresh);
  auto plan = PlanReload(fingerprint_, fingerprint);
  if (!plan.ok()) return refuse(plan.status());
  // What --check-config checks beyond the parse: every module's sink
  // builds and the paths a start creates can be created.
  std::vector<std::string> errors = CheckCreatablePaths(fresh);
  for (const ModuleConfig& m : fresh.modules) {
    auto module = Module::Create(m, sinks, /*shared_dead_letters=*/nullptr);
    if (!module.ok()) {
      errors.push_back(std::string(InConfig(fresh, module.status()).message()));
    }
  }
  if (!errors.empty()) {
    return refuse(absl::InvalidArgumentError(absl::StrJoin(errors, "; ")));
  }
  std::vector<std::string> not_started;
  if (!plan->added.empty() || !plan->changed.empty() ||
      !plan->removed.empty()) {
    const std::set<std::string> keep(plan->kept.begin(), plan->kept.end());
    absl::Status st = pipeline_->ReplaceModules(
        fresh.modules, keep, sinks, absl::Now() + config_.shutdown_timeout,
        &not_started);
    if (!st.ok()) return refuse(InConfig(fresh, st));
  }
  for (const std::string& error : not_started) {
    spdlog::error("SIGHUP: {}", error);
  }
  // A module that did not start is replaced by the next reload, even with
  // its entry unchanged.
  for (auto& [id, text] : fingerprint.modules) {
    for (const std::string& error : not_started) {
      if (absl::StartsWith(error, absl::StrCat("module '", id, "'"))) {
        text.clear();
      }
    }
  }
  fingerprint_ = std::move(fingerprint);
  {
    absl::MutexLock lock(&targets_mu_);
    sink_targets_.clear();
    for (const ModuleConfig& m : fresh.modules) {
      sink_targets_[m.id] = SinkTarget(m);
    }
  }
  pipeline_->ReloadDefaultHomeId(fresh.default_home_id);
  if (apply_log_level) {
    if (const auto level = ParseLogLevel(fresh.log_level)) {
      spdlog::set_level(*level);
    }
  }
  reloads_ok_.fetch_add(1, std::memory_order_relaxed);
  spdlog::info("SIGHUP: config reloaded: modules {}", DescribePlan(*plan));
  return absl::OkStatus();
}

void Server::ReloadAdapters() {
  for (auto& a : adapters_) a->Reload();
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

void Server::CollectMetrics(metrics::MetricsWriter& out) const {
  out.Gauge("streamgate_build_info",
            "Always 1; the labels name the running build.",
            {{"version", GatewayVersion()}}, 1);
  pipeline_->CollectMetrics(out);
  const char* kReloadsHelp =
      "SIGHUP config reloads: ok (applied) or refused (a bad config, or a "
      "change that needs a restart; the running config was kept).";
  out.Counter("streamgate_config_reloads_total", kReloadsHelp,
              {{"result", "ok"}},
              static_cast<double>(reloads_ok_.load(std::memory_order_relaxed)));
  out.Counter(
      "streamgate_config_reloads_total", kReloadsHelp, {{"result", "refused"}},
      static_cast<double>(reloads_refused_.load(std::memory_order_relaxed)));
  for (const auto &a : adapters_) a->CollectMetrics(out);
  metrics::CollectProcessMetrics(out);
  pipeline_->CollectDoorMetrics(out);
  CollectLogMetrics(out);
}

StatusSnapshot Server::Snapshot() const {
  StatusSnapshot s;
  s.version = GatewayVersion();
  s.now = absl::Now();
  s.started = started_at_;
  s.ready = Ready();
  std::vector<ModuleStatus> modules = pipeline_->Modules();
  {
    absl::MutexLock lock(&targets_mu_);
    for (ModuleStatus& m : modules) {
      auto it = sink_targets_.find(m.id);
      std::string target = it == sink_targets_.end() ? "" : it->second;
      s.modules.push_back({std::move(m), std::move(target)});
    }
  }
  s.inputs = inputs_;
  for (InputStatus& in : s.inputs) {
    if (!s.ready) {
      in.state = "stopped";
    } else if (in.name == "mqtt") {
      GaugeProbe probe("streamgate_mqtt_connected");
      for (const auto& a : adapters_) {
        if (a->name() == "mqtt") a->CollectMetrics(probe);
      }
      in.state = probe.value().value_or(0) > 0 ? "connected" : "disconnected";
    } else {
      in.state = "serving";
    }
  }
  return s;
}

bool Server::AuthorizeStatusPage(const char* authorization,
                                 const std::string& peer) const {
  if (authorization == nullptr) {
    return authenticator_->AuthenticateHeader(nullptr, peer).ok();
  }
  absl::string_view header(authorization);
  std::string bearer;
  if (absl::StartsWithIgnoreCase(header, "Basic ")) {
    // Browsers: user name ignored, the key is the password.
    std::string decoded;
    if (!absl::Base64Unescape(header.substr(6), &decoded)) decoded.clear();
    const size_t colon = decoded.find(':');
    bearer = absl::StrCat(
        "Bearer ", colon == std::string::npos ? "" : decoded.substr(colon + 1));
    header = bearer;
  }
  return authenticator_->AuthenticateHeader(&header, peer).ok();
}

}  // namespace streamgate
