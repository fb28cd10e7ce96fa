#include "bench/grpc_load/load_options.h"

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "gateway address HOST:PORT");
ABSL_FLAG(std::string, mode, "stream",
          "unary (PublishEvent), stream (Publish, one event per message) or "
          "batch (Publish, --batch events per message)");
ABSL_FLAG(int, inflight, 64, "unary: calls in flight");
ABSL_FLAG(int, batch, 100, "batch: events per message");
ABSL_FLAG(int, window, 64,
          "stream/batch: messages sent and not yet answered; a burst fills "
          "the window and the next starts when it is half empty");
ABSL_FLAG(double, duration, 10, "seconds to send for (ignored with --count)");
ABSL_FLAG(int64_t, count, 0, "events to send; 0 = use --duration");
ABSL_FLAG(int, devices, 100, "device ids 1..N, as registered in the gateway");
ABSL_FLAG(int, home_every, 8, "every Nth event is a home event (0 = none)");
ABSL_FLAG(int, event_bytes, 150, "approximate rendered event JSON size");
ABSL_FLAG(double, backoff_ms, 2, "pause before retrying RESOURCE_EXHAUSTED");
ABSL_FLAG(double, stall_timeout, 30, "abort after this many seconds without "
                                     "any response");

namespace streamgate::bench {
namespace {

absl::Status CheckPositive(const char* flag, int64_t value) {
  if (value > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, " must be > 0, got ", value));
}

}  // namespace

const char* ModeName(LoadMode mode) {
  switch (mode) {
    case LoadMode::kUnary: return "unary";
    case LoadMode::kStream: return "stream";
    case LoadMode::kBatch: return "batch";
  }
  return "?";
}

absl::StatusOr<LoadOptions> LoadOptionsFromFlags() {
  LoadOptions o;
  o.target = absl::GetFlag(FLAGS_target);
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode == "unary") {
    o.mode = LoadMode::kUnary;
  } else if (mode == "stream") {
    o.mode = LoadMode::kStream;
  } else if (mode == "batch") {
    o.mode = LoadMode::kBatch;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--mode must be unary, stream or batch, got '", mode, "'"));
  }
  o.inflight = absl::GetFlag(FLAGS_inflight);
  o.batch = absl::GetFlag(FLAGS_batch);
  o.window = absl::GetFlag(FLAGS_window);
  o.count = absl::GetFlag(FLAGS_count);
  o.devices = absl::GetFlag(FLAGS_devices);
  o.home_every = absl::GetFlag(FLAGS_home_every);
  o.event_bytes = absl::GetFlag(FLAGS_event_bytes);
  const double duration = absl::GetFlag(FLAGS_duration);
  const double backoff_ms = absl::GetFlag(FLAGS_backoff_ms);
  const double stall = absl::GetFlag(FLAGS_stall_timeout);

  for (auto [flag, value] : {std::pair<const char*, int64_t>{"inflight", o.inflight},
                             {"batch", o.batch},
                             {"window", o.window},
                             {"devices", o.devices},
                             {"event_bytes", o.event_bytes}}) {
    if (absl::Status s = CheckPositive(flag, value); !s.ok()) return s;
  }
  if (o.count < 0) return absl::InvalidArgumentError("--count must be >= 0");
  if (o.home_every < 0) {
    return absl::InvalidArgumentError("--home_every must be >= 0");
  }
  if (o.count == 0 && !(duration > 0)) {
    return absl::InvalidArgumentError("--duration must be > 0 without --count");
  }
  if (backoff_ms < 0) return absl::InvalidArgumentError("--backoff_ms must be >= 0");
  if (!(stall > 0)) return absl::InvalidArgumentError("--stall_timeout must be > 0");
  o.duration = absl::Seconds(duration);
  o.backoff = absl::Microseconds(static_cast<int64_t>(backoff_ms * 1000));
  o.stall_timeout = absl::Seconds(stall);
  return o;
}

}  // namespace streamgate::bench
