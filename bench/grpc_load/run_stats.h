// What one load run measured: acked events and messages, ack latency per
// message, errors by gRPC code, RESOURCE_EXHAUSTED retries. Owned and
// updated by a single driver thread; printed after it finishes.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/time/time.h"
#include "bench/grpc_load/latency_histogram.h"
#include "bench/grpc_load/load_options.h"

namespace streamgate::bench {

struct RunStats {
  int64_t events_sent = 0;      // first sends only, not retries
  int64_t events_acked = 0;     // events in messages answered OK
  int64_t messages_acked = 0;   // messages (calls or stream items) answered OK
  int64_t retries = 0;          // messages re-sent after RESOURCE_EXHAUSTED
  int64_t resource_exhausted = 0;
  std::map<int, int64_t> errors_by_code;  // final failures (not retried)
  std::string fatal;            // why the run stopped early, if it did
  LatencyHistogram latency;     // send -> response, per message
  absl::Duration elapsed;       // first send -> last response

  int64_t errors() const;
  // `RESULT key=value ...` on one line, for scripts.
  std::string MachineLine(const LoadOptions& options) const;
  // One sentence for people.
  std::string HumanLine(const LoadOptions& options) const;
};

}  // namespace streamgate::bench
