#include "adapters/grpc/listener_probe.h"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
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

std::string ListenerProbe::TargetFor(const std::string& listen, int port) {
  const size_t colon = listen.rfind(':');
  std::string host =
      colon == std::string::npos ? listen : listen.substr(0, colon);
  if (host.empty() || host == "0.0.0.0" || host == "*") host = "127.0.0.1";
  if (host == "[::]" || host == "::") host = "[::1]";
  return absl::StrCat(host, ":", port);
}

absl::Status ListenerProbe::CheckTls(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  const size_t colon = target_.rfind(':');
  std::string host = target_.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = target_.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* addr = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &addr) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", target_));
  }
  const int fd = socket(addr->ai_family, addr->ai_socktype | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    freeaddrinfo(addr);
    return absl::UnavailableError(
        absl::StrCat("socket: ", std::strerror(errno)));
  }
  // Every blocking step below ends by the deadline.
  const absl::Duration left =
      std::max(deadline - absl::Now(), absl::Milliseconds(1));
  const timeval tv = absl::ToTimeval(left);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  const int connected = connect(fd, addr->ai_addr, addr->ai_addrlen);
  freeaddrinfo(addr);
  if (connected != 0) {
    const std::string why = std::strerror(errno);
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("connect to ", target_, ": ", why));
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = ctx ? SSL_new(ctx) : nullptr;
  absl::Status st = absl::UnavailableError("cannot set up OpenSSL");
  if (ssl != nullptr) {
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    static const unsigned char kAlpn[] = {2, 'h', '2'};
    SSL_set_alpn_protos(ssl, kAlpn, sizeof(kAlpn));
    SSL_set_fd(ssl, fd);
    const int r = SSL_connect(ssl);
    // A finished handshake, or the server refusing us with an alert (no
    // client certificate for mutual TLS): either way it accepted us.
    if (r == 1 || SSL_get_error(ssl, r) == SSL_ERROR_SSL) {
      st = absl::OkStatus();
    } else {
      st = absl::DeadlineExceededError(
          absl::StrCat("no TLS handshake from ", target_, " within ",
                       absl::FormatDuration(timeout)));
    }
    ERR_clear_error();
    SSL_free(ssl);
  }
  if (ctx != nullptr) SSL_CTX_free(ctx);
  close(fd);
  return st;
}

absl::Status ListenerProbe::Check(absl::Duration timeout) const {
  if (tls_) return CheckTls(timeout);
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
