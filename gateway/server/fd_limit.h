// Raising the process's open-file limit at start-up. gRPC 1.51's listener
// stops accepting for good once accept() failed with EMFILE (the
// CVE-2023-4785 class), so the soft limit (often 1024) is raised to the
// hard limit the supervisor allows (systemd's default is 524288) before any
// socket is opened; the watchdog covers the limit being reached anyway.
//
// Call from the main thread before other threads start.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"

namespace streamgate {

struct FdLimit {
  uint64_t soft_before = 0;  // the soft limit found at start
  uint64_t soft = 0;         // the soft limit now
  uint64_t hard = 0;
};

// Sets RLIMIT_NOFILE's soft limit to its hard limit (an unlimited hard
// limit: to fs.nr_open). Error only when getrlimit/setrlimit fail.
absl::StatusOr<FdLimit> RaiseFdLimitToHard();

}  // namespace streamgate
