// Command-line options of streamgate-load, the gRPC load generator.
// Parsed once on the main thread; read-only afterwards (safe to share).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace streamgate::bench {

enum class LoadMode {
  kUnary,   // PublishEvent calls, `inflight` of them outstanding.
  kStream,  // One Publish stream, one event per message.
  kBatch,   // One Publish stream, `batch` events per message (EventBatch).
};

struct LoadOptions {
  std::string target = "127.0.0.1:50051";
  LoadMode mode = LoadMode::kStream;
  int inflight = 64;      // unary: calls outstanding
  int batch = 100;        // batch: events per message
  int window = 64;        // stream/batch: messages sent but not yet answered
  absl::Duration duration = absl::Seconds(10);  // used when count == 0
  int64_t count = 0;      // events to send; 0 = run for `duration`
  int devices = 100;      // device ids 1..devices (registered in the gateway)
  int home_every = 8;     // every Nth event is a home event; 0 = none
  int event_bytes = 150;  // approximate size of the rendered event JSON
  absl::Duration backoff = absl::Milliseconds(2);  // RESOURCE_EXHAUSTED retry
  absl::Duration stall_timeout = absl::Seconds(30);  // no progress: abort
};

// Reads the absl flags (after absl::ParseCommandLine) into LoadOptions;
// INVALID_ARGUMENT naming the flag when a value is out of range.
absl::StatusOr<LoadOptions> LoadOptionsFromFlags();

const char* ModeName(LoadMode mode);

}  // namespace streamgate::bench
