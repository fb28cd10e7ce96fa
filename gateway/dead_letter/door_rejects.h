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
#include "gateway/dead_letter/dead_letter_file.h"

namespace streamgate {

struct DoorReject {
  absl::string_view source;  // "mqtt" | "grpc"
  absl::string_view reason;
  absl::string_view topic;   // MQTT: the PUBLISH topic
  absl::string_view rpc;     // gRPC: what kind of input (see DeadLetteringIngest)
  absl::optional<int64_t> device;
  absl::string_view data;    // the raw bytes refused
};

class DoorRejects {
 public:
  virtual ~DoorRejects() = default;
  virtual void Rejected(const DoorReject& reject) = 0;
};

// Reports nothing (the adapter still logs and counts its rejects).
class NoDoorRejects : public DoorRejects {
 public:
  void Rejected(const DoorReject&) override {}
  // Inline, so an adapter library needs no link to this one for it.
  static NoDoorRejects& Instance() {
    static NoDoorRejects instance;
    return instance;
  }
};

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
