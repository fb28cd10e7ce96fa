#include "gateway/server/gateway.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "adapters/grpc/admin_service.h"
#include "adapters/grpc/grpc_adapter.h"
#include "gateway/core/counting_sink.h"
#include "gateway/core/gateway_metrics.h"
#include "gateway/server/metrics_server.h"
#include "gateway/core/module_log.h"
#include "gateway/core/memory_queue.h"
#include "gateway/spool/spool_queue.h"
#include "gateway/common/status_macros.h"
#include "gateway/common/logging.h"
#include "adapters/mqtt/config.h"

namespace streamgate {

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Create(
    GatewayConfig config, const SinkRegistry& sinks) {
  std::unique_ptr<Gateway> g(new Gateway());
  g->config_ = std::move(config);
  const GatewayConfig& c = g->config_;
  g->registry_ = std::make_unique<DeviceRegistry>(c.devices);

  // Before the sinks: those without a dead-letter file of their own use it.
  if (c.dead_letter) {
    g->dead_letters_ = std::make_unique<DeadLetterFile>(*c.dead_letter);
  }
  std::vector<RoutedModule> routed;
  for (const ModuleConfig& mc : c.modules) {
    const SinkFactory* factory = sinks.Find(mc.sink_type);
    if (factory == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "module '", mc.id, "': sink.type: unknown type '", mc.sink_type,
          "' (known: ", absl::StrJoin(sinks.Types(), ", "), ")"));
    }
    auto sink = factory->Create(
        mc.sink, SinkContext{mc.id, mc.spool.has_value(), g->dead_letters_.get()});
    if (!sink.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "module '", mc.id, "': ", sink.status().message()));
    }
    Module m;
    if (mc.spool) {
      m.queue = std::make_unique<SpoolQueue>(mc.id, *mc.spool);
    } else {
      m.queue = std::make_unique<MemoryQueue>(
          static_cast<size_t>(mc.queue.max_records),
          static_cast<size_t>(mc.queue.max_bytes));
    }
    auto counting = std::make_unique<metrics::CountingSink>(std::move(*sink));
    g->counting_sinks_.push_back(counting.get());
    m.sink = std::move(counting);
    m.stats = std::make_unique<ModuleStats>();
    routed.push_back(
        RoutedModule{mc.id, mc.use_uuid, m.queue.get(), m.stats.get()});
    g->modules_.push_back(std::move(m));
  }
  g->router_ = std::make_unique<Router>(c.modules, std::move(routed));
  g->ingester_ = std::make_unique<Ingester>(
      *g->registry_, *g->router_, static_cast<size_t>(c.max_record_bytes));
  g->door_rejects_ = std::make_unique<DoorDeadLetters>(g->dead_letters_.get());
  g->grpc_ingest_ =
      std::make_unique<DeadLetteringIngest>(*g->ingester_, *g->door_rejects_);

  g->auth_ = std::make_unique<ApiKeyAuthenticator>(c.api_keys);
  std::vector<std::string> ids;
  for (const ModuleConfig& mc : c.modules) ids.push_back(mc.id);
  g->module_logs_ = std::make_unique<ModuleLogs>(ids);
  Gateway* self = g.get();
  g->admin_ = std::make_unique<AdminService>(
      c.modules,
      [self](size_t i) {
        const Module& m = self->modules_[i];
        const metrics::CountingSink& cs = *self->counting_sinks_[i];
        ModuleCountersSnapshot s;
        s.records_accepted = m.stats->accepted_records.load();
        s.bytes_accepted = m.stats->accepted_bytes.load();
        s.records_rejected_full = m.stats->rejected_full.load();
        s.queue_depth = m.queue->depth();
        s.records_written = cs.written_records();
        s.records_settled = cs.settled_records();
        return s;
      },
      *g->module_logs_, g->stopping_, *g->auth_);
  auto grpc = std::make_unique<GrpcAdapter>(
      c.grpc, *g->grpc_ingest_, *g->auth_,
      std::vector<grpc::Service*>{g->admin_.get()}, *g->door_rejects_);
  g->grpc_ = grpc.get();
  g->adapters_.push_back(std::move(grpc));
  if (c.mqtt.IsDefined() && !c.mqtt.IsNull()) {
    ASSIGN_OR_RETURN(auto mqtt, CreateMqttAdapter(c.mqtt, *g->ingester_,
                                                    *g->door_rejects_));
    g->adapters_.push_back(std::move(mqtt));
  }
  return g;
}

Gateway::~Gateway() {
  if (started_) Shutdown();
}

absl::Status Gateway::Start() {
  if (dead_letters_) RETURN_IF_ERROR(dead_letters_->Open());
  for (size_t i = 0; i < modules_.size(); ++i) {
    // A spool replays its backlog first, so it opens before any input.
    RETURN_IF_ERROR(modules_[i].queue->Start());
    RETURN_IF_ERROR(modules_[i].sink->Start());
    modules_[i].worker = std::make_unique<ModuleWorker>(
        config_.modules[i].id, *modules_[i].queue, *modules_[i].sink);
    modules_[i].worker->Start();
  }
  started_ = true;
  if (!config_.metrics.listen.empty()) {
    metrics_server_ = std::make_unique<metrics::MetricsServer>(
        config_.metrics.listen,
        [this](metrics::MetricsWriter& out) { CollectMetrics(out); });
    absl::Status st = metrics_server_->Start();
    if (!st.ok()) {
      Shutdown();
      return st;
    }
    spdlog::info("metrics: serving http://{}/metrics", config_.metrics.listen);
  }
  for (auto& a : adapters_) {
    absl::Status st = a->Start();
    if (!st.ok()) {
      Shutdown();
      return st;
    }
  }
  spdlog::info("streamgate: started with {} module(s)", modules_.size());
  return absl::OkStatus();
}

bool Gateway::Shutdown() {
  if (!started_) return true;
  started_ = false;
  stopping_.store(true, std::memory_order_release);
  const absl::Time deadline = absl::Now() + config_.shutdown_timeout;
  spdlog::info("streamgate: shutting down (deadline {} ms)",
               absl::ToInt64Milliseconds(config_.shutdown_timeout));
  for (auto& a : adapters_) a->StopAccepting();
  ingester_->StopAccepting();
  // Calls that still arrive get UNAVAILABLE from us rather than CANCELLED
  // from a closing server; health watchers see NOT_SERVING meanwhile.
  absl::SleepFor(std::min(absl::Milliseconds(config_.grpc.drain_grace_ms),
                          config_.shutdown_timeout / 4));
  // In-flight calls get part of the budget; the rest is for the sinks.
  const absl::Time calls_deadline =
      absl::Now() + std::min(absl::Seconds(5), config_.shutdown_timeout / 2);
  for (auto& a : adapters_) a->Shutdown(calls_deadline);
  bool clean = true;
  for (Module& m : modules_) {
    if (m.worker) clean &= m.worker->Stop(deadline);
  }
  spdlog::info("streamgate: stopped{}", clean ? "" : " with undelivered records");
  if (metrics_server_) metrics_server_->Stop();
  return clean;
}

void Gateway::Reload(DeviceMap devices) {
  const size_t n = devices.size();
  registry_->Replace(std::move(devices));
  for (auto& a : adapters_) a->Reload();
  spdlog::info("streamgate: device registry reloaded ({} devices)", n);
}

int Gateway::grpc_port() const { return grpc_ ? grpc_->port() : 0; }

int Gateway::metrics_port() const {
  return metrics_server_ ? metrics_server_->port() : 0;
}

void Gateway::CollectMetrics(metrics::MetricsWriter& out) const {
  std::vector<metrics::ModuleMetricsSource> sources;
  for (size_t i = 0; i < modules_.size(); ++i) {
    sources.push_back(metrics::ModuleMetricsSource{
        config_.modules[i].id, *modules_[i].stats, *modules_[i].queue,
        *counting_sinks_[i]});
  }
  metrics::CollectGatewayMetrics(sources, ingester_->stats(), adapters_, out);
  const DoorRejectCounters& door = door_rejects_->counters();
  const char* kRejectsHelp =
      "Inputs rejected at the door and reported as dead letters, by source.";
  out.Counter("streamgate_door_rejects_total", kRejectsHelp,
              {{"source", "grpc"}}, door.grpc.load(std::memory_order_relaxed));
  out.Counter("streamgate_door_rejects_total", kRejectsHelp,
              {{"source", "mqtt"}}, door.mqtt.load(std::memory_order_relaxed));
  if (dead_letters_) {
    const DeadLetterCounters& d = dead_letters_->counters();
    out.Counter("streamgate_dead_letter_lines_written_total",
                "Lines written to the root dead-letter file.", {},
                d.lines_written.load(std::memory_order_relaxed));
    out.Counter("streamgate_dead_letter_lines_lost_total",
                "Dead-letter lines that could not be written (disk full, "
                "I/O error, over max_bytes).", {},
                d.lines_lost.load(std::memory_order_relaxed));
    out.Counter("streamgate_dead_letter_rotations_total",
                "Rotations of the root dead-letter file.", {},
                d.rotations.load(std::memory_order_relaxed));
  }
}

}  // namespace streamgate
