#include "adapters/grpc/admin_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/timestamp.pb.h"

namespace streamgate {
namespace {

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t nanos = absl::ToUnixNanos(t);
  int64_t seconds = nanos / 1000000000;
  int64_t rest = nanos % 1000000000;
  if (rest < 0) {
    rest += 1000000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest));
}

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context,
                                 grpc::Status status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(std::move(status));
  return reactor;
}

}  // namespace

AdminService::AdminService(const std::vector<ModuleConfig>& modules,
                           CountersFn counters, const ModuleLogs& logs,
                           const std::atomic<bool>& stopping,
                           const ApiKeyAuthenticator& auth)
    : modules_(modules),
      counters_(std::move(counters)),
      logs_(logs),
      stopping_(stopping),
      auth_(auth) {}

grpc::ServerUnaryReactor* AdminService::ListModules(
    grpc::CallbackServerContext* context, const v1::ListModulesRequest*,
    v1::ListModulesResponse* response) {
  if (auto caller = auth_.Authenticate(*context); !caller.ok()) {
    return Finish(context, ToGrpc(caller.status()));
  }
  const absl::Time now = absl::Now();
  for (size_t i = 0; i < modules_.size(); ++i) {
    const ModuleConfig& mc = modules_[i];
    v1::ModuleInfo* m = response->add_modules();
    m->set_id(mc.id);
    m->set_description(mc.description);
    m->set_sink_type(mc.sink_type);
    if (mc.all_events) m->add_subscribe_events("*");
    for (const std::string& e : mc.subscribe_events) m->add_subscribe_events(e);
    if (mc.bulk_data_label) m->set_bulk_data_label(*mc.bulk_data_label);
    m->set_use_uuid(mc.use_uuid);

    const ModuleCountersSnapshot c = counters_(i);
    v1::ModuleCounters* pc = m->mutable_counters();
    pc->set_records_accepted(c.records_accepted);
    pc->set_bytes_accepted(c.bytes_accepted);
    pc->set_records_rejected_full(c.records_rejected_full);
    pc->set_queue_depth(c.queue_depth);
    pc->set_records_written(c.records_written);
    pc->set_records_settled(c.records_settled);

    std::string state = "running";
    if (const ModuleLogRing* ring = logs_.Find(mc.id)) {
      pc->set_errors_logged(ring->errors_total());
      if (auto last = ring->LastError()) {
        m->set_last_error(last->message);
        SetTime(last->time, m->mutable_last_error_time());
        if (now - last->time < kFailingWindow) state = "failing";
      }
    }
    if (stopping_.load(std::memory_order_acquire)) state = "stopped";
    m->set_state(state);
  }
  return Finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* AdminService::GetModuleLog(
    grpc::CallbackServerContext* context,
    const v1::GetModuleLogRequest* request,
    v1::GetModuleLogResponse* response) {
  if (auto caller = auth_.Authenticate(*context); !caller.ok()) {
    return Finish(context, ToGrpc(caller.status()));
  }
  const ModuleLogRing* ring = logs_.Find(request->module_id());
  if (ring == nullptr) {
    return Finish(context,
                  grpc::Status(grpc::StatusCode::NOT_FOUND,
                               absl::StrCat("no module '", request->module_id(),
                                            "'")));
  }
  auto level = ParseLogLevel(request->min_level());
  if (!level) {
    return Finish(context,
                  grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               absl::StrCat("min_level: unknown level '",
                                            request->min_level(),
                                            "' (trace, debug, info, warn, "
                                            "error, critical)")));
  }
  const size_t limit =
      request->limit() == 0 ? kDefaultLimit : request->limit();
  for (const ModuleLogEntry& e : ring->Recent(*level, limit)) {
    v1::LogEntry* out = response->add_entries();
    SetTime(e.time, out->mutable_time());
    const auto name = spdlog::level::to_string_view(e.level);
    out->set_level(std::string(name.data(), name.size()));
    out->set_message(e.message);
  }
  return Finish(context, grpc::Status::OK);
}

}  // namespace streamgate
