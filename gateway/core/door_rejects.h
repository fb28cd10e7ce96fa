// DoorRejects: where adapters report an input they refused at the door (bad
// topic, unknown device, bad JSON or MessagePack, oversized record...), so
// it lands in the global dead-letter file as one JSON line:
//   {"time":"2024-05-01T12:00:00.5Z","source":"mqtt","reason":"...",
//    "topic":"/devices/7/event","device":7,"bytes":12,"data":"<base64>"}
// gRPC inputs carry "rpc" instead of "topic". "data" is the raw input bytes
// (clipped to fit the file's line bound, then "truncated":true follows;
// "bytes" is always the full size).
//
// DoorDeadLetters is the implementation the gateway injects into its
// adapters; NoDoorRejects is for adapters built without one.
//
// Threading: Rejected is called from adapter threads, any number at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "gateway/api/rejects.h"
#include "gateway/common/dead_letter_file.h"

namespace streamgate {

// The JSON line (no '\n') for `reject` at `now`, at most `max_line_bytes`
// long: the data is clipped when needed, and so are a topic and a reason
// over 1 KiB. Invalid UTF-8 in text fields becomes U+FFFD.
std::string FormatDoorReject(const DoorReject& reject, absl::Time now,
                             size_t max_line_bytes);

struct DoorRejectCounters {
  std::atomic<uint64_t> mqtt{0};
  std::atomic<uint64_t> grpc{0};
  std::atomic<uint64_t> truncated{0};  // data clipped to the line bound
};

class DoorDeadLetters : public DoorRejects {
 public:
  // `file` may be null (no dead_letter configured): rejects are counted only.
  explicit DoorDeadLetters(DeadLetterFile* file) : file_(file) {}

  void Rejected(const DoorReject& reject) override;

  const DoorRejectCounters& counters() const { return counters_; }

 private:
  DeadLetterFile* const file_;
  DoorRejectCounters counters_;
};

}  // namespace streamgate
