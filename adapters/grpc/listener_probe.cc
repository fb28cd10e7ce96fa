#include "adapters/grpc/listener_probe.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/slice.h"

namespace streamgate {
namespace {

constexpr char kHealthCheck[] = "/grpc.health.v1.Health/Check";

// Outlives the call whatever happens to the caller's wait.
struct ProbeCall {
  grpc::ClientContext context;
  grpc::ByteBuffer request;  // HealthCheckRequest{service: ""}: no bytes
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
};

}  // namespace

std::string ListenerProbe::TargetFor(const std::string &listen, int port) {
  const size_t colon = listen.rfind(':');
  std::string host =
      colon == std::string::npos ? listen : listen.substr(0, colon);
  if (host.empty() || host == "0.0.0.0" || host == "*") host = "127.0.0.1";
  if (host == "[::]" || host == "::") host = "[::1]";
  return absl::StrCat(host, ":", port);
}

absl::Status ListenerProbe::Check(absl::Duration timeout) const {
  grpc::ChannelArguments args;
  // A connection of its own: a shared subchannel would reuse one that was
  // accepted before the listener wedged.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  auto channel = grpc::CreateCustomChannel(
      target_, grpc::InsecureChannelCredentials(), args);
  grpc::GenericStub stub(channel);
  auto call = std::make_shared<ProbeCall>();
  // A valid buffer of no bytes: gRPC refuses an unset one.
  grpc::Slice nothing("", 0);
  call->request = grpc::ByteBuffer(&nothing, 1);
  call->context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  call->context.set_wait_for_ready(true);  // a refused connect is retried
  stub.UnaryCall(&call->context, kHealthCheck, grpc::StubOptions(),
                 &call->request, &call->response, [call](grpc::Status st) {
                   call->status = std::move(st);
                   call->done.Notify();
                 });
  // The deadline ends the call; the margin only guards against a gRPC that
  // never calls back at all (then the probe fails too).
  if (!call->done.WaitForNotificationWithTimeout(timeout + absl::Seconds(5))) {
    call->context.TryCancel();
    return absl::DeadlineExceededError("the health call never completed");
  }
  // Any answer, even a refusal, came from a listener that accepted us.
  const grpc::StatusCode code = call->status.error_code();
  if (code != grpc::StatusCode::DEADLINE_EXCEEDED &&
      code != grpc::StatusCode::UNAVAILABLE) {
    return absl::OkStatus();
  }
  return absl::Status(static_cast<absl::StatusCode>(call->status.error_code()),
                      absl::StrCat("health call to ", target_, ": ",
                                   call->status.error_message()));
}

}  // namespace streamgate
