#include "adapters/grpc/reject_log.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gateway/api/metrics_writer.h"
#include "gateway/common/log_text.h"
#include "gateway/common/logging.h"

namespace streamgate {
namespace {

// " (N similar lines held back)" after a quiet spell, else "".
std::string HeldBack(uint64_t suppressed) {
  if (suppressed == 0) return "";
  return absl::StrCat(" (", suppressed, " similar line",
                      suppressed == 1 ? "" : "s", " held back)");
}

absl::string_view ReasonName(IngestReason reason) {
  switch (reason) {
    case IngestReason::kAccepted:
      return "accepted";
    case IngestReason::kInvalid:
      return "invalid";
    case IngestReason::kUnknownDevice:
      return "unknown_device";
    case IngestReason::kTooLarge:
      return "too_large";
    case IngestReason::kFull:
      return "full";
    case IngestReason::kUnavailable:
      return "unavailable";
    case IngestReason::kStoreFailed:
      return "store_failed";
  }
  return "other";
}

}  // namespace

absl::string_view RpcName(GatewayRpc rpc) {
  switch (rpc) {
    case GatewayRpc::kPublishEvent:
      return "PublishEvent";
    case GatewayRpc::kPublishBulkData:
      return "PublishBulkData";
    case GatewayRpc::kPublish:
      return "Publish";
  }
  return "unknown";
}

void RejectLog::Unparsable(GatewayRpc rpc, absl::string_view peer,
                           absl::string_view why) {
  unparsable_[static_cast<size_t>(rpc)].fetch_add(1, std::memory_order_relaxed);
  uint64_t suppressed = 0;
  if (!limiter_.Allow(absl::StrCat("unparsable/", RpcName(rpc)), clock_(),
                      suppressed)) {
    return;
  }
  spdlog::warn("grpc {} from {}: {}{}", RpcName(rpc), EscapeForLog(peer),
               EscapeForLog(why), HeldBack(suppressed));
}

void RejectLog::StreamItemRejected(absl::string_view peer, uint64_t id,
                                   absl::string_view kind, IngestReason reason,
                                   absl::string_view message) {
  uint64_t suppressed = 0;
  if (!limiter_.Allow(absl::StrCat("Publish/", kind, "/", ReasonName(reason)),
                      clock_(), suppressed)) {
    return;
  }
  spdlog::warn("grpc Publish from {}: item {} ({}) rejected: {}{}",
               EscapeForLog(peer), id, kind, EscapeForLog(message),
               HeldBack(suppressed));
}

void RejectLog::Unauthenticated(absl::string_view peer,
                                absl::string_view reason) {
  uint64_t suppressed = 0;
  if (!limiter_.Allow(absl::StrCat("auth/", reason), clock_(), suppressed)) {
    return;
  }
  spdlog::warn("grpc: call from {} rejected: {}{}", EscapeForLog(peer),
               EscapeForLog(reason), HeldBack(suppressed));
}

void RejectLog::UnaryRejected(GatewayRpc rpc, absl::string_view peer,
                              absl::string_view what, IngestReason reason,
                              absl::string_view message) {
  uint64_t suppressed = 0;
  if (!limiter_.Allow(absl::StrCat(RpcName(rpc), "/", ReasonName(reason)),
                      clock_(), suppressed)) {
    return;
  }
  spdlog::error("grpc {} from {}{}{}{} rejected: {}{}", RpcName(rpc),
                EscapeForLog(peer), what.empty() ? "" : " (",
                EscapeForLog(what), what.empty() ? "" : ")",
                EscapeForLog(message), HeldBack(suppressed));
}

void RejectLog::CollectMetrics(metrics::MetricsWriter& out) const {
  for (size_t i = 0; i < kGatewayRpcCount; ++i) {
    const auto rpc = static_cast<GatewayRpc>(i);
    out.Counter("streamgate_grpc_unparsable_requests_total",
                "gRPC requests whose bytes did not parse as their protobuf "
                "message (answered INVALID_ARGUMENT), by RPC.",
                {{"rpc", std::string(RpcName(rpc))}},
                static_cast<double>(unparsable(rpc)));
  }
}

}  // namespace streamgate
