// Ingest: the one entry point every adapter (gRPC, MQTT) calls. It validates
// an input, fills it from the device registry, renders the MODE Event JSON
// once, decodes bulk MessagePack, and hands the records to the Router, which
// queues them for every matching module all-or-nothing.
//
// Threading: every method is safe to call from many threads at once and never
// blocks on I/O: it only validates, renders and enqueues.
//
// Status contract (the gRPC adapter maps these 1:1 to grpc::Status):
//   OK                  accepted by every matching module (or none matched)
//   INVALID_ARGUMENT    bad input; the message names the field
//   RESOURCE_EXHAUSTED  a module queue is full; nothing was queued anywhere
//   UNAVAILABLE         the gateway is shutting down
#pragma once

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"

namespace google::protobuf {
class Struct;
}

namespace streamgate {

// Who sent an input; the origin project key fields come from here only.
struct Caller {
  absl::string_view key_id;    // empty: anonymous
  absl::string_view key_name;
};

// One event, transport-neutral. String views must outlive the call.
struct EventInput {
  absl::string_view event_type;
  // eventData: a protobuf Struct (gRPC) or, when null, a JSON object text
  // already checked to be an object (MQTT); empty text renders as {}.
  const google::protobuf::Struct* data_struct = nullptr;
  absl::string_view data_json;
  absl::optional<absl::Time> timestamp;  // receive time when absent
  int64_t home_id = 0;                   // 0: from the device registry
  absl::optional<int64_t> origin_device_id;
  absl::string_view origin_device_class;  // registry class when empty
  absl::string_view origin_device_ip;
};

// Bulk data of one device under one label: either explicit records or a
// MessagePack payload (spec 1.2), never both.
struct BulkInput {
  int64_t device_id = 0;
  absl::string_view label;
  // Pointers, because protobuf's repeated bytes field stores them so.
  absl::Span<const std::string* const> records;
  absl::optional<absl::string_view> msgpack_payload;
  // Out, optional: set to the number of records accepted (decoded ones for
  // a MessagePack payload) when the call returns OK.
  size_t* accepted_records = nullptr;
};

class Ingest {
 public:
  virtual ~Ingest() = default;

  // All-or-nothing: one bad event rejects all, and the message names its
  // index ("events[3].event_type: must not be empty").
  virtual absl::Status PublishEvents(absl::Span<const EventInput> events,
                                     const Caller& caller) = 0;
  virtual absl::Status PublishBulk(const BulkInput& bulk,
                                   const Caller& caller) = 0;

  // The registry's home for a device, used by adapters that must reject
  // unknown devices before building an EventInput (MQTT).
  virtual absl::optional<int64_t> DeviceHome(int64_t device_id) const = 0;
};

}  // namespace streamgate
