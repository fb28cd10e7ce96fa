#include "sinks/aws/clock.h"

#include "absl/time/clock.h"

namespace streamgate::aws {
namespace {

class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

Clock& DefaultClock() {
  static RealClock* clock = new RealClock();
  return *clock;
}

}  // namespace streamgate::aws
