// Clock: the wall clock behind an interface, so credential caching and
// request signing can be tested with a clock the test moves by hand.
//
// Threading: Now() must be thread-safe; the real clock is.
#pragma once

#include "absl/time/time.h"

namespace streamgate::aws {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The process-wide real clock (absl::Now(); never destroyed).
Clock& DefaultClock();

}  // namespace streamgate::aws
