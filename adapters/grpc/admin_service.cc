#include "adapters/grpc/admin_service.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/grpc/convert.h"
#include "gateway/common/log_text.h"
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

grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context,
                                 grpc::Status status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(std::move(status));
  return reactor;
}

// NOT_FOUND in the words the Admin API has always used; other errors as
// the core gave them.
grpc::ServerUnaryReactor* ModuleLogError(grpc::CallbackServerContext* context,
                                         const absl::Status& status,
                                         const std::string& module_id) {
  if (status.code() != absl::StatusCode::kNotFound) {
    return Finish(context, ToGrpcStatus(status));
  }
  return Finish(context, grpc::Status(grpc::StatusCode::NOT_FOUND,
                                      absl::StrCat("no module '", module_id,
                                                   "'")));
}

void FillModule(const ModuleStatus& s, v1::ModuleInfo* m) {
  m->set_id(s.id);
  m->set_description(s.description);
  m->set_sink_type(s.sink_type);
  for (const std::string& e : s.subscribe_events) m->add_subscribe_events(e);
  if (s.bulk_data_label) m->set_bulk_data_label(*s.bulk_data_label);
  m->set_use_uuid(s.use_uuid);

  v1::ModuleCounters* c = m->mutable_counters();
  c->set_records_accepted(s.records_accepted);
  c->set_bytes_accepted(s.bytes_accepted);
  c->set_records_rejected_full(s.records_rejected_full);
  c->set_queue_depth(s.queue_depth);
  c->set_records_written(s.records_written);
  c->set_records_delivered(s.records_delivered);
  c->set_records_dead_lettered(s.records_dead_lettered);
  c->set_records_retried(s.records_retried);
  // Kept for older clients: what they showed as DELIVERED.
  c->set_records_settled(s.records_delivered + s.records_dead_lettered);
  c->set_errors_logged(s.errors_logged);

  m->set_state(s.state);
  if (s.last_error) {
    m->set_last_error(s.last_error->message);
    SetTime(s.last_error->time, m->mutable_last_error_time());
  }
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::ListModules(
    grpc::CallbackServerContext* context, const v1::ListModulesRequest*,
    v1::ListModulesResponse* response) {
  if (auto caller = auth_.Authenticate(*context); !caller.ok()) {
    return Finish(context, ToGrpcStatus(caller.status()));
  }
  for (const ModuleStatus& s : status_.Modules()) {
    FillModule(s, response->add_modules());
  }
  return Finish(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* AdminService::GetModuleLog(
    grpc::CallbackServerContext* context,
    const v1::GetModuleLogRequest* request,
    v1::GetModuleLogResponse* response) {
  if (auto caller = auth_.Authenticate(*context); !caller.ok()) {
    return Finish(context, ToGrpcStatus(caller.status()));
  }
  const auto level = ParseLogLevel(request->min_level());
  if (!level) {
    // An unknown module is reported first, whatever the level (limit 0
    // asks only whether the module exists).
    if (auto known = status_.ModuleLog(request->module_id(),
                                       spdlog::level::trace, 0);
        !known.ok()) {
      return ModuleLogError(context, known.status(), request->module_id());
    }
    return Finish(context,
                  grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                               absl::StrCat("min_level: unknown level '",
                                            request->min_level(), "' (",
                                            kLogLevelNames, ")")));
  }
  const size_t limit =
      request->limit() == 0 ? kDefaultLimit : request->limit();
  auto entries = status_.ModuleLog(request->module_id(), *level, limit);
  if (!entries.ok()) {
    return ModuleLogError(context, entries.status(), request->module_id());
  }
  for (const LogEntry& e : *entries) {
    v1::LogEntry* out = response->add_entries();
    SetTime(e.time, out->mutable_time());
    const auto name = spdlog::level::to_string_view(e.level);
    out->set_level(std::string(name.data(), name.size()));
    out->set_message(e.message);
  }
  return Finish(context, grpc::Status::OK);
}

}  // namespace streamgate
