// InboundMessage and BatchResult: what the MQTT session hands the adapter
// for each read of the broker socket (every PUBLISH that read completed,
// in order) and what it gets back (how many of them, from the front, are
// settled and may be acknowledged). Kept apart from the session and the
// dispatcher so that neither depends on the other.
//
// Threading: plain values.
#pragma once

#include <cstddef>

#include "absl/strings/string_view.h"

namespace streamgate {

struct InboundMessage {
  absl::string_view topic;    // valid for the handler call only
  absl::string_view payload;  // likewise
};

struct BatchResult {
  enum class Stop {
    kNone,         // every message is settled
    kStopping,     // the adapter stopped while a message waited for room
    kStoreFailed,  // a module's spool refused the commit
  };
  // Messages [0, settled) are accepted or rejected for good: acknowledge
  // them. The rest must stay unacknowledged so the broker redelivers them.
  size_t settled = 0;
  Stop stop = Stop::kNone;
};

}  // namespace streamgate
