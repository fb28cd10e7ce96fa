// StatusClient: `streamgate-ctl status` — reads the gateway's /status.json
// from the metrics port (the document the status page shows, same API-key
// rule) twice, an interval apart, and renders it for a terminal: version,
// uptime and readiness, one row per module (state, rates, queue depth,
// counts, sink) and per input (address, state), then each module's last
// error.
//
// Threading: one thread.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace streamgate::ctl {

struct StatusOptions {
  std::string metrics = "127.0.0.1:9464";  // the gateway's metrics.listen
  std::string api_key;                     // empty: no authorization header
  absl::Duration timeout = absl::Seconds(10);
  // Between the two reads rates are measured over; zero: one read, no rates.
  absl::Duration interval = absl::Seconds(1);
};

// The rendered status, or an error a person can act on (nothing listening,
// 401 without a valid key, not a streamgate metrics port).
absl::StatusOr<std::string> FetchStatus(const StatusOptions& options);

// Renders `after` (a /status.json body) with rates against `before` taken
// `interval` earlier (empty `before`: no rates). INVALID_ARGUMENT when a
// body is not the document.
absl::StatusOr<std::string> FormatStatus(const std::string& before,
                                         const std::string& after,
                                         absl::Duration interval);

}  // namespace streamgate::ctl
