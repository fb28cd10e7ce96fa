// StopSignal: the MQTT adapter's one-way "stop accepting" switch. The
// session sets it at StopAccepting; the loop thread reads it before each
// message and sleeps on it (reconnect backoff, backpressure retries) so a
// stop cuts those sleeps short.
//
// Threading: Stop from any thread (the first call wins); stopped and
// SleepFor from any thread.
#pragma once

#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace streamgate {

class StopSignal {
 public:
  // Returns false when the signal was already given.
  bool Stop() {
    if (stopped_.exchange(true, std::memory_order_acq_rel)) return false;
    notification_.Notify();  // absl::Notification may be notified only once
    return true;
  }

  bool stopped() const { return stopped_.load(std::memory_order_acquire); }

  // Sleeps for `delay` or until Stop, whichever comes first; true if stopped.
  bool SleepFor(absl::Duration delay) const {
    return notification_.WaitForNotificationWithTimeout(delay);
  }

 private:
  std::atomic<bool> stopped_{false};
  absl::Notification notification_;
};

}  // namespace streamgate
