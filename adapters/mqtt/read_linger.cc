#include "adapters/mqtt/read_linger.h"

namespace streamgate {

bool ReadLinger::Steady(absl::Time now, size_t buffered) const {
  return linger_ > absl::ZeroDuration() && now - last_read_ < kSteadyWithin &&
         buffered < kMaxBuffered && now >= paused_until_;
}

void ReadLinger::OnRead(absl::Time now, bool got_bytes) {
  dry_ = !got_bytes;
  if (!got_bytes) return;
  previous_read_ = last_read_;
  last_read_ = now;
}

bool ReadLinger::OnLingeredBatch(size_t acked, absl::Time now) {
  // Even a window of one (strict ordering) counts: it would cap the rate at
  // one message per linger.
  const bool on_time = last_read_ - previous_read_ < 2 * linger_;
  const bool capping = static_cast<double>(acked) <
                       kUncappedRate * absl::ToDoubleSeconds(linger_);
  if (acked == 0 || !on_time || !capping || acked != window_guess_) {
    window_guess_ = acked;
    window_bound_reads_ = acked == 0 || !on_time || !capping ? 0 : 1;
    return false;
  }
  if (++window_bound_reads_ < kWindowBoundReads) return false;
  paused_until_ = now + kPause;
  window_bound_reads_ = 0;
  window_guess_ = 0;
  return true;
}

}  // namespace streamgate
