// ReadLinger: when the MQTT session's loop should sleep before reading the
// broker socket instead of polling it (mqtt.read_linger_us). A broker
// relaying as fast as it can would otherwise wake the loop for every one to
// three messages, and each wake-up's poll, read and PUBACK write cost more
// than the messages. So while messages keep coming (a read found bytes
// within kSteadyWithin) the loop sleeps the linger and then reads what
// arrived meanwhile, without polling; when such a read finds nothing (a
// broker slowed down by a busy CPU) it polls, and lingers again once bytes
// arrive. After a quiet spell it polls and reads at once.
//
// A broker whose in-flight window is smaller than what one linger gathers
// sends the window and waits for PUBACKs, so every lingered read carries
// exactly the window and the linger would cap the rate at window / linger:
// after kWindowBoundReads lingered reads in a row, each on time (less than
// two lingers after the previous read), with the same number of QoS >= 1
// messages, lingering pauses for kPause. A read that comes late (the loop
// thread waited for a CPU) filled the window through its own delay, not
// the linger's, and does not count; nor does a window large enough for
// kUncappedRate messages a second at this linger (32 at 1 ms: more than
// one broker connection relays at QoS 1 on the bench machine, ~25-30k/s;
// mosquitto's default of 20 is below it). Equal counts by chance (a
// broker flushing a backlog) happened three times in a row within seconds
// on the bench; eight in a row did not.
//
// Threading: the session's loop thread only. Times are passed in, so the
// rules are tested without clocks.
#pragma once

#include <cstddef>

#include "absl/time/time.h"

namespace streamgate {

class ReadLinger {
 public:
  static constexpr absl::Duration kSteadyWithin = absl::Milliseconds(20);
  static constexpr size_t kMaxBuffered = 16 * 1024;
  static constexpr int kWindowBoundReads = 8;
  static constexpr absl::Duration kPause = absl::Seconds(1);
  static constexpr double kUncappedRate = 32000;  // messages per second

  // A zero linger never sleeps.
  explicit ReadLinger(absl::Duration linger) : linger_(linger) {}

  absl::Duration linger() const { return linger_; }

  // True while messages keep coming, the buffer holds less than
  // kMaxBuffered (undecoded bytes) and lingering is not paused: a read
  // should sleep linger() first (after a poll, when one is needed).
  bool Steady(absl::Time now, size_t buffered) const;
  // Steady, and the last read found bytes: sleep instead of polling.
  bool SleepInsteadOfPoll(absl::Time now, size_t buffered) const {
    return Steady(now, buffered) && !dry_;
  }

  // A read at `now` found bytes (true) or nothing (false: poll next).
  void OnRead(absl::Time now, bool got_bytes);

  // After a read that slept: it carried `acked` QoS >= 1 messages. True
  // when this pauses lingering (the broker's window bounds the batches).
  bool OnLingeredBatch(size_t acked, absl::Time now);

 private:
  const absl::Duration linger_;
  absl::Time last_read_ = absl::InfinitePast();  // the last read with bytes
  bool dry_ = true;                              // the last read found nothing
  absl::Time previous_read_ = absl::InfinitePast();  // the one before it
  size_t window_guess_ = 0;     // QoS >= 1 messages of the last lingered read
  int window_bound_reads_ = 0;  // lingered reads in a row with that count
  absl::Time paused_until_ = absl::InfinitePast();
};

}  // namespace streamgate
