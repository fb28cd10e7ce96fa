// Ingest: the one entry point every adapter (gRPC, MQTT) calls. It validates
// an input, fills it from the device registry, renders the MODE Event JSON
// once, decodes bulk MessagePack, and hands the records to the Router, which
// queues them for every matching module all-or-nothing.
//
// Threading: every method is safe to call from many threads at once and never
// blocks on I/O beyond a spool's commit: it validates, renders and enqueues.
// The *Async methods do not even wait for that: their completion runs on
// the calling thread before they return, or on a spool's commit thread once
// the fdatasync covering the input is done (callers that must not block,
// such as gRPC callback threads, use these, and their inputs share syncs).
//
// Result contract (the gRPC adapter maps status codes 1:1 to grpc::Status):
//   OK                  accepted by every matching module (or none matched)
//   INVALID_ARGUMENT    bad input; the message names the field
//   RESOURCE_EXHAUSTED  a module queue is full; nothing was queued anywhere
//   UNAVAILABLE         the gateway is shutting down
//   other codes         a module's spool could not store the input (the
//                       caller must not be acknowledged)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
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

// Where an input came from (an MQTT topic and its payload), for partition-key
// templates (${topic(N)}, ${payload.FIELD}). Used on the publishing thread
// during the call only; an implementation may parse the payload lazily,
// at most once.
class InputSource {
 public:
  virtual ~InputSource() = default;
  virtual absl::string_view topic() const = 0;
  // Appends top-level payload field `name` to `out`: a string unescaped, a
  // number or boolean as JSON text. False when the payload is not a JSON
  // object or the field is absent, null, an object or an array.
  virtual bool AppendPayloadField(absl::string_view name,
                                  std::string& out) const = 0;
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
  // The home of a device the registry does not know, for this input only
  // (MQTT's mqtt.default_home_id); overrides the gateway's top-level
  // default_home_id. With neither, an event with home_id 0 from such a
  // device is refused with IngestReason::kUnknownDevice.
  absl::optional<int64_t> default_home_id;
  const InputSource* source = nullptr;  // MQTT: its topic and payload
};

// Bulk data of one device under one label: either explicit records or a
// MessagePack payload (spec 1.2), never both.
struct BulkInput {
  int64_t device_id = 0;
  absl::string_view label;
  // Pointers, because protobuf's repeated bytes field stores them so.
  absl::Span<const std::string* const> records;
  absl::optional<absl::string_view> msgpack_payload;
  // Bulk data needs no home, so it is accepted from a device the registry
  // does not know, on every door.
  const InputSource* source = nullptr;  // MQTT: its topic and payload
};

// Why an input was refused, for adapters that count by reason.
enum class IngestReason : uint8_t {
  kAccepted,       // OK
  kInvalid,        // INVALID_ARGUMENT: malformed or out-of-range input
  kUnknownDevice,  // INVALID_ARGUMENT: device not in the registry
  kTooLarge,       // INVALID_ARGUMENT: a record over max_record_bytes
  kFull,           // RESOURCE_EXHAUSTED: a module's queue is full
  kUnavailable,    // UNAVAILABLE: shutting down
  kStoreFailed,    // a module's spool could not write or sync the input
};

struct IngestResult {
  // OK, or the code and a message naming the field (the reason in words).
  absl::Status status;
  IngestReason reason = IngestReason::kAccepted;
  // The item an INVALID_ARGUMENT is about (events[i] of a batch, records[i]
  // of bulk data); -1 when it is about the input as a whole.
  int64_t bad_index = -1;
  // Records accepted when OK: events, or bulk records (decoded ones for a
  // MessagePack payload).
  size_t accepted = 0;

  bool ok() const { return status.ok(); }
  absl::StatusCode code() const { return status.code(); }
  absl::string_view message() const { return status.message(); }
};

// The answer to an asynchronous publish; it must not block.
using IngestDone = absl::AnyInvocable<void(IngestResult)>;

class Ingest {
 public:
  virtual ~Ingest() = default;

  // All-or-nothing: one bad event rejects all, and the message names its
  // index ("events[3].event_type: must not be empty").
  virtual IngestResult PublishEvents(absl::Span<const EventInput> events,
                                     const Caller& caller) = 0;
  virtual IngestResult PublishBulk(const BulkInput& bulk,
                                   const Caller& caller) = 0;

  // The same, answered through `done` exactly once: before the call returns
  // for every refusal other than a failed store (so INVALID_ARGUMENT is
  // always answered inline) and for queues that store nothing before the
  // ack, otherwise when every module has stored the input (a spool with
  // fsync always: synced). The inputs need to live only until the call
  // returns. The defaults answer inline through the blocking methods.
  virtual void PublishEventsAsync(absl::Span<const EventInput> events,
                                  const Caller& caller, IngestDone done) {
    done(PublishEvents(events, caller));
  }
  virtual void PublishBulkAsync(const BulkInput& bulk, const Caller& caller,
                                IngestDone done) {
    done(PublishBulk(bulk, caller));
  }
};

}  // namespace streamgate
