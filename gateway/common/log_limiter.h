// LogLimiter: lets at most one log line per key (e.g. an error code) through
// per interval, and reports how many were held back since the last one, so
// an error storm gives a steady trickle of lines with counts instead of a
// flood.
//
// Threading: Allow is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace streamgate::kinesis {

class LogLimiter {
 public:
  explicit LogLimiter(absl::Duration interval) : interval_(interval) {}

  // True when a line for `key` may be logged at `now`; `suppressed` is set
  // to the number of lines refused for that key since the last allowed one.
  bool Allow(absl::string_view key, absl::Time now, uint64_t& suppressed);

 private:
  struct State {
    absl::Time last = absl::InfinitePast();
    uint64_t suppressed = 0;
  };
  const absl::Duration interval_;
  absl::Mutex mu_;
  std::map<std::string, State, std::less<>> states_ ABSL_GUARDED_BY(mu_);
};

}  // namespace streamgate::kinesis
