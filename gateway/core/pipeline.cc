#include "gateway/core/pipeline.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gateway/core/dead_letter_config.h"

namespace streamgate {

std::shared_ptr<Router> Pipeline::BuildRouter(
    const std::vector<ModuleConfig>& configs,
    const std::vector<std::shared_ptr<Module>>& modules) {
  std::vector<RoutedModule> routed;
  for (size_t i = 0; i < configs.size(); ++i) {
    Module& m = *modules[i];
    routed.push_back(RoutedModule{configs[i].id, configs[i].use_uuid,
                                  &m.queue(), &m.counters(), &m.logger(),
                                  configs[i].partition_key});
  }
  return std::make_shared<Router>(configs, std::move(routed));
}

absl::StatusOr<std::unique_ptr<Pipeline>> Pipeline::Create(
    const GatewayConfig& config, const SinkRegistry& sinks) {
  std::unique_ptr<Pipeline> p(new Pipeline());
  p->registry_ = std::make_unique<DeviceRegistry>(config.devices);
  if (config.dead_letter) {
    p->dead_letters_ = std::make_unique<DeadLetterFile>(*config.dead_letter);
    p->delivery_dead_letters_ = std::make_unique<DeadLetterFile>(
        DeliveryDeadLetterOptions(*config.dead_letter));
  }
  std::vector<std::shared_ptr<Module>> modules;
  for (const ModuleConfig& mc : config.modules) {
    // Sinks give up on acknowledged records into a file of their own.
    auto module = Module::Create(mc, sinks, p->delivery_dead_letters_.get());
    if (!module.ok()) return module.status();
    modules.push_back(*std::move(module));
  }
  p->routes_ =
      std::make_unique<RouteTable>(BuildRouter(config.modules, modules));
  {
    absl::MutexLock lock(&p->mu_);
    p->modules_ = std::move(modules);
  }
  p->ingester_ = std::make_unique<Ingester>(
      *p->registry_, *p->routes_, static_cast<size_t>(config.max_record_bytes),
      static_cast<size_t>(config.limits.max_records_per_input),
      config.default_home_id);
  p->door_rejects_ = std::make_unique<DoorDeadLetters>(p->dead_letters_.get());
  return p;
}

Pipeline::~Pipeline() = default;

absl::Status Pipeline::Start() {
  if (dead_letters_) {
    if (auto st = dead_letters_->Open(); !st.ok()) return st;
    if (auto st = delivery_dead_letters_->Open(); !st.ok()) {
      // DeadLetterFile names dead_letter.path; this one is delivery_path.
      return absl::Status(
          st.code(),
          absl::StrCat("dead_letter.delivery_path: ",
                       absl::StripPrefix(st.message(), "dead_letter.path: ")));
    }
  }
  for (auto& m : modules()) {
    if (auto st = m->Start(); !st.ok()) return st;
  }
  return absl::OkStatus();
}

std::vector<std::shared_ptr<Module>> Pipeline::modules() const {
  absl::MutexLock lock(&mu_);
  return modules_;
}

void Pipeline::StopAccepting() {
  stopping_.store(true, std::memory_order_release);
  ingester_->StopAccepting();
}

bool Pipeline::Stop(absl::Time deadline) {
  StopAccepting();
  absl::MutexLock reload(&reload_mu_);
  bool clean = stuck_.empty();
  for (auto& m : modules()) clean &= m->Stop(deadline);
  return clean;
}

void Pipeline::ReloadDevices(std::shared_ptr<const DeviceTable> devices) {
  registry_->Replace(std::move(devices));
  device_reloads_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<ModuleStatus> Pipeline::Modules() const {
  std::vector<ModuleStatus> out;
  const auto modules = this->modules();
  out.reserve(modules.size());
  for (const auto& m : modules) out.push_back(m->Status(stopping()));
  return out;
}

absl::StatusOr<std::vector<LogEntry>> Pipeline::ModuleLog(
    absl::string_view module_id, spdlog::level::level_enum min_level,
    size_t limit) const {
  for (const auto& m : modules()) {
    if (m->id() == module_id) return m->log().Recent(min_level, limit);
  }
  return absl::NotFoundError(absl::StrCat("no module '", module_id, "'"));
}

void Pipeline::CollectMetrics(metrics::MetricsWriter& out) const {
  for (const auto& m : modules()) m->CollectMetrics(out);
  const IngestStats& ingest = ingester_->stats();
  auto load = [](const std::atomic<uint64_t>& v) {
    return static_cast<double>(v.load(std::memory_order_relaxed));
  };
  out.Counter("streamgate_ingest_events_accepted_total",
              "Events accepted from any adapter (gRPC, MQTT).", {},
              load(ingest.events_accepted));
  out.Counter("streamgate_ingest_bulk_records_accepted_total",
              "Bulk data records accepted from any adapter.", {},
              load(ingest.bulk_records_accepted));
  out.Counter("streamgate_ingest_unrouted_total",
              "Accepted inputs that no module subscribes to.", {},
              load(ingest.unrouted));
  const char* kRejectedHelp =
      "Publish calls refused by ingest, by reason (invalid: "
      "INVALID_ARGUMENT, exhausted: RESOURCE_EXHAUSTED, unavailable: "
      "shutting down).";
  out.Counter("streamgate_ingest_rejected_total", kRejectedHelp,
              {{"reason", "invalid"}}, load(ingest.invalid));
  out.Counter("streamgate_ingest_rejected_total", kRejectedHelp,
              {{"reason", "exhausted"}}, load(ingest.exhausted));
  out.Counter("streamgate_ingest_rejected_total", kRejectedHelp,
              {{"reason", "unavailable"}}, load(ingest.unavailable));
  out.Gauge("streamgate_device_registry_devices",
            "Devices in the device registry now.", {},
            static_cast<double>(registry_->Snapshot()->size()));
  const char* kReloadsHelp =
      "SIGHUP reloads of the device registry: ok (swapped in) or refused "
      "(a bad file or config; the registry was kept).";
  out.Counter("streamgate_device_registry_reloads_total", kReloadsHelp,
              {{"result", "ok"}}, load(device_reloads_));
  out.Counter("streamgate_device_registry_reloads_total", kReloadsHelp,
              {{"result", "refused"}}, load(device_reloads_refused_));
}

void Pipeline::CollectDoorMetrics(metrics::MetricsWriter& out) const {
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
                "I/O error, over max_bytes) or were deleted by rotation.",
                {}, d.lines_lost.load(std::memory_order_relaxed));
    out.Counter("streamgate_dead_letter_rotations_total",
                "Rotations of the root dead-letter file.", {},
                d.rotations.load(std::memory_order_relaxed));
    const DeadLetterCounters& g = delivery_dead_letters_->counters();
    out.Counter("streamgate_dead_letter_delivery_lines_written_total",
                "Delivery give-ups written to dead_letter.delivery_path.", {},
                g.lines_written.load(std::memory_order_relaxed));
    out.Counter("streamgate_dead_letter_delivery_lines_lost_total",
                "Delivery give-up lines that could not be written or were "
                "deleted by rotation.",
                {}, g.lines_lost.load(std::memory_order_relaxed));
    out.Counter("streamgate_dead_letter_delivery_rotations_total",
                "Rotations of the delivery dead-letter file.", {},
                g.rotations.load(std::memory_order_relaxed));
  }
}

}  // namespace streamgate
