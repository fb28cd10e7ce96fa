#include "adapters/grpc/grpc_adapter.h"

#include <grpcpp/resource_quota.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/grpc/auth_processor.h"
#include "adapters/grpc/protobuf_log.h"
#include "gateway/common/logging.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"

namespace streamgate {

GrpcAdapter::GrpcAdapter(GrpcAdapterConfig config,
                         const AdapterContext &context)
    : config_(std::move(config)),
      auth_(config_.api_keys),
      ingest_(context.ingest, context.rejects),
      gateway_(ingest_, auth_, static_cast<size_t>(config_.grpc.stream_window),
               context.rejects, reject_log_),
      admin_(context.status, auth_) {}

GrpcAdapter::~GrpcAdapter() {
  if (server_) Shutdown(absl::Now());
}

absl::Status GrpcAdapter::Start() {
  RouteProtobufLogToSpdlog();
  const GrpcConfig &c = config_.grpc;
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default: a second gateway on a used port would
  // start silently and steal half the connections.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(c.max_message_bytes));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             static_cast<int>(c.max_concurrent_streams));
  // All connections' buffers draw from one quota: memory stays bounded
  // whatever the number of clients and their send rate.
  grpc::ResourceQuota quota("streamgate-grpc");
  quota.Resize(static_cast<size_t>(c.memory_limit_bytes));
  quota.SetMaxThreads(static_cast<int>(c.max_threads));
  builder.SetResourceQuota(quota);
  if (c.max_connection_idle_ms > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                               static_cast<int>(c.max_connection_idle_ms));
  }
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
      static_cast<int>(c.keepalive_min_ping_interval_ms));
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES,
                             static_cast<int>(c.keepalive_max_ping_strikes));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS,
                             c.keepalive_permit_without_calls ? 1 : 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_METADATA_SIZE,
                             static_cast<int>(c.max_metadata_bytes));
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                             static_cast<int>(c.handshake_timeout_ms));
  if (c.keepalive_time_ms > 0) {
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                               static_cast<int>(c.keepalive_time_ms));
  }
  if (c.keepalive_timeout_ms > 0) {
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                               static_cast<int>(c.keepalive_timeout_ms));
  }
  if (c.max_connection_age_ms > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                               static_cast<int>(c.max_connection_age_ms));
  }
  if (c.max_connection_age_grace_ms > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                               static_cast<int>(c.max_connection_age_grace_ms));
  }
  // API keys are checked on the headers, before a body is read
  // (ApiKeyAuthProcessor), on plaintext and TLS alike.
  std::shared_ptr<grpc::ServerCredentials> creds =
      PlaintextServerCredentials(auth_);
  if (!c.tls.cert_file.empty()) {
    auto tls = ReloadableTlsCredentials::Create(c.tls, &auth_);
    if (!tls.ok()) return tls.status();
    tls_ = *std::move(tls);
    creds = tls_->Credentials();
  }
  builder.AddListeningPort(c.listen, creds, &port_);
  builder.RegisterService(&gateway_);
  builder.RegisterService(&admin_);
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("grpc.listen: cannot listen on ",
                                               c.listen,
                                               " (address in use or invalid)"));
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  probe_ = std::make_unique<ListenerProbe>(
      ListenerProbe::TargetFor(c.listen, port_), tls_ != nullptr);
  if (!auth_.enabled()) {
    spdlog::warn(
        "grpc: no api_keys configured: calls are anonymous "
        "(for trusted networks only)");
  }
  spdlog::info("grpc: listening on {} ({})", c.listen,
               !tls_            ? "plaintext"
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
    spdlog::error(
        "grpc: TLS reload failed, keeping the current certificates: {}",
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

absl::Status GrpcAdapter::ProbeListener(absl::Duration timeout) const {
  if (!probe_) {
    return absl::UnimplementedError("no gRPC listener to probe");
  }
  return probe_->Check(timeout);
}

void GrpcAdapter::CollectMetrics(metrics::MetricsWriter &out) const {
  reject_log_.CollectMetrics(out);
}

}  // namespace streamgate
