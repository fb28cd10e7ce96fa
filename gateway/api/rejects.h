// DoorRejects: where adapters report an input they refused at the door (bad
// topic, unknown device, bad JSON or MessagePack, oversized record...). The
// gateway's implementation (gateway/core/door_rejects.h) writes it to the
// dead-letter file; NoDoorRejects is for adapters built without one.
//
// Threading: Rejected is called from adapter threads, any number at once.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

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

}  // namespace streamgate
