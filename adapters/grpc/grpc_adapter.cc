#include "adapters/grpc/grpc_adapter.h"

#include <grpcpp/resource_quota.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "adapters/grpc/convert.h"
#include "adapters/grpc/publish_reactor.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "gateway/common/logging.h"

namespace streamgate {
namespace {

// Answers a Publish stream that failed authentication without reading it.
class RejectedStream
    : public grpc::ServerBidiReactor<v1::PublishRequest, v1::PublishResponse> {
 public:
  explicit RejectedStream(const absl::Status& status) {
    Finish(ToGrpcStatus(status));
  }
  void OnDone() override { delete this; }
};

grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context,
                                      const absl::Status& status) {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* GatewayService::PublishEvent(
    grpc::CallbackServerContext* context, const v1::Event* request,
    v1::PublishResponse* response) {
  auto caller = auth_.Authenticate(*context);
  if (!caller.ok()) return FinishUnary(context, caller.status());
  EventInput in;
  absl::Status st = ToEventInput(*request, "", in);
  if (!st.ok()) {
    ReportRefused(rejects_, st, "event", *request,
                  request->has_origin_device_id()
                      ? absl::make_optional(request->origin_device_id())
                      : absl::nullopt);
  } else {
    st = ingest_.PublishEvents(absl::MakeConstSpan(&in, 1),
                               Caller{caller->key_id, caller->key_name});
  }
  if (st.ok()) {
    response->set_records(1);
  } else if (st.code() == absl::StatusCode::kInvalidArgument) {
    spdlog::error("grpc PublishEvent from {} rejected: {}", context->peer(),
                  st.message());
  }
  auto* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(st));
  return reactor;
}

grpc::ServerUnaryReactor* GatewayService::PublishBulkData(
    grpc::CallbackServerContext* context, const v1::BulkData* request,
    v1::PublishResponse* response) {
  auto caller = auth_.Authenticate(*context);
  if (!caller.ok()) return FinishUnary(context, caller.status());
  size_t accepted = 0;
  BulkInput in = ToBulkInput(*request);
  in.accepted_records = &accepted;
  absl::Status st =
      ingest_.PublishBulk(in, Caller{caller->key_id, caller->key_name});
  if (st.ok()) {
    response->set_records(static_cast<uint32_t>(accepted));
  } else if (st.code() == absl::StatusCode::kInvalidArgument) {
    spdlog::error("grpc PublishBulkData from {} (device {}, label '{}') "
                  "rejected: {}",
                  context->peer(), request->device_id(), request->label(),
                  st.message());
  }
  auto* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(st));
  return reactor;
}

grpc::ServerBidiReactor<v1::PublishRequest, v1::PublishResponse>*
GatewayService::Publish(grpc::CallbackServerContext* context) {
  auto caller = auth_.Authenticate(*context);
  if (!caller.ok()) return new RejectedStream(caller.status());
  return new PublishReactor(ingest_, stream_window_, *std::move(caller),
                            rejects_);
}

GrpcAdapter::GrpcAdapter(const GrpcConfig& config, Ingest& ingest,
                         const ApiKeyAuthenticator& auth,
                         std::vector<grpc::Service*> extra_services,
                         DoorRejects& rejects)
    : config_(config),
      service_(ingest, auth, static_cast<size_t>(config.stream_window),
               rejects),
      extra_services_(std::move(extra_services)) {}

GrpcAdapter::~GrpcAdapter() {
  if (server_) Shutdown(absl::Now());
}

absl::Status GrpcAdapter::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default: a second gateway on a used port would
  // start silently and steal half the connections.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(config_.max_message_bytes));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             static_cast<int>(config_.max_concurrent_streams));
  // All connections' buffers draw from one quota: memory stays bounded
  // whatever the number of clients and their send rate.
  grpc::ResourceQuota quota("streamgate-grpc");
  quota.Resize(static_cast<size_t>(config_.memory_limit_bytes));
  builder.SetResourceQuota(quota);
  if (config_.keepalive_time_ms > 0) {
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                               static_cast<int>(config_.keepalive_time_ms));
  }
  if (config_.keepalive_timeout_ms > 0) {
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                               static_cast<int>(config_.keepalive_timeout_ms));
  }
  if (config_.max_connection_age_ms > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               static_cast<int>(config_.max_connection_age_ms));
  }
  if (config_.max_connection_age_grace_ms > 0) {
    builder.AddChannelArgument(
        GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
        static_cast<int>(config_.max_connection_age_grace_ms));
  }
  std::shared_ptr<grpc::ServerCredentials> creds =
      grpc::InsecureServerCredentials();
  if (!config_.tls.cert_file.empty()) {
    auto tls = ReloadableTlsCredentials::Create(config_.tls);
    if (!tls.ok()) return tls.status();
    tls_ = *std::move(tls);
    creds = tls_->Credentials();
  }
  builder.AddListeningPort(config_.listen, creds, &port_);
  builder.RegisterService(&service_);
  for (grpc::Service* s : extra_services_) builder.RegisterService(s);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat(
        "grpc.listen: cannot listen on ", config_.listen,
        " (address in use or invalid)"));
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  if (!service_.auth().enabled()) {
    spdlog::warn("grpc: no api_keys configured: calls are anonymous "
                 "(for trusted networks only)");
  }
  spdlog::info("grpc: listening on {} ({})", config_.listen,
               !tls_ ? "plaintext"
               : tls_->mutual() ? "TLS, client certificates required"
                                : "TLS");
  return absl::OkStatus();
}

void GrpcAdapter::Reload() {
  if (!tls_) return;
  absl::Status st = tls_->Reload();
  if (st.ok()) {
    spdlog::info("grpc: TLS certificates re-read; new connections use them");
  } else {
    spdlog::error("grpc: TLS reload failed, keeping the current certificates: {}",
                  st.message());
  }
}

void GrpcAdapter::StopAccepting() {
  if (server_) server_->GetHealthCheckService()->SetServingStatus(false);
}

void GrpcAdapter::Shutdown(absl::Time deadline) {
  if (!server_) return;
  server_->Shutdown(absl::ToChronoTime(deadline));
  server_->Wait();
  server_.reset();
}

}  // namespace streamgate
