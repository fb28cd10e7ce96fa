// RejectLog: the gRPC adapter's lines for refused calls and inputs — calls
// without a valid API key, unary inputs Ingest refused (ERROR), Publish
// stream items and requests that do not parse (WARN) —
// rate-limited per kind and reason (kinesis::LogLimiter: one line per key
// per interval; the next line that gets through says how many were held
// back), so a client sending garbage at stream rate gives a trickle of lines
// instead of a flood. Also counts the unparsable requests by RPC for
// /metrics. Every client-supplied string goes through EscapeForLog.
//
// Threading: every method is thread-safe (atomics and the limiter's mutex).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gateway/api/ingest.h"
#include "gateway/common/log_limiter.h"

namespace streamgate {
namespace metrics {
class MetricsWriter;
}

// The Gateway service's RPCs, for counters and log lines.
enum class GatewayRpc : uint8_t { kPublishEvent, kPublishBulkData, kPublish };
constexpr size_t kGatewayRpcCount = 3;
absl::string_view RpcName(GatewayRpc rpc);

class RejectLog {
 public:
  using Clock = absl::Time (*)();
  static constexpr absl::Duration kDefaultInterval = absl::Seconds(1);
  // One line per key (RPC, or stream item kind and reason) per `interval`
  // as `clock` tells time.
  explicit RejectLog(absl::Duration interval = kDefaultInterval,
                     Clock clock = &absl::Now)
      : limiter_(interval), clock_(clock) {}

  // A request whose bytes did not parse (`why`: ParseRequest's message):
  // counted, and logged at WARN with the peer.
  void Unparsable(GatewayRpc rpc, absl::string_view peer,
                  absl::string_view why);

  // A Publish stream item answered with an error: logged at WARN with its
  // client-chosen id, its kind (event, batch, bulk_data, publish) and the
  // reason it was answered with.
  void StreamItemRejected(absl::string_view peer, uint64_t id,
                          absl::string_view kind, IngestReason reason,
                          absl::string_view message);

  // A call refused before its body for want of a valid API key; `reason`
  // is one of ApiKeyAuthenticator's fixed texts (the key itself never).
  void Unauthenticated(absl::string_view peer, absl::string_view reason);

  // A PublishEvent / PublishBulkData input Ingest refused as invalid:
  // logged at ERROR, one line per RPC and reason per interval.
  // `what` describes the input ("device 7, label 'x'"), or is empty.
  void UnaryRejected(GatewayRpc rpc, absl::string_view peer,
                     absl::string_view what, IngestReason reason,
                     absl::string_view message);

  uint64_t unparsable(GatewayRpc rpc) const {
    return unparsable_[static_cast<size_t>(rpc)].load(
        std::memory_order_relaxed);
  }

  // streamgate_grpc_unparsable_requests_total{rpc}, every RPC (0 included).
  void CollectMetrics(metrics::MetricsWriter& out) const;

 private:
  kinesis::LogLimiter limiter_;
  const Clock clock_;
  std::array<std::atomic<uint64_t>, kGatewayRpcCount> unparsable_{};
};

}  // namespace streamgate
