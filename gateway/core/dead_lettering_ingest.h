// DeadLetteringIngest: an Ingest in front of the real one for the gRPC
// adapter. Every input the inner Ingest refuses with INVALID_ARGUMENT is
// reported to DoorRejects (source "grpc") with its raw bytes:
//   - an event: the offending v1.Event, serialized again from the call
//     ("rpc":"event"; a batch whose error names events[i] gives that event,
//     "rpc":"batch"; otherwise the whole batch as a v1.EventBatch);
//   - bulk data ("rpc":"bulk_data"): the offending records[i] when the error
//     names one of explicit records, the MessagePack payload when there is
//     one, otherwise the whole v1.BulkData serialized again.
// The kind, not the RPC name: unary calls and Publish stream items reach
// Ingest the same way. Everything else is passed through untouched.
//
// Threading: as thread-safe as the inner Ingest and DoorRejects.
#pragma once

#include "gateway/core/door_rejects.h"
#include "gateway/api/ingest.h"

namespace streamgate {

class DeadLetteringIngest : public Ingest {
 public:
  DeadLetteringIngest(Ingest& inner, DoorRejects& rejects)
      : inner_(inner), rejects_(rejects) {}

  absl::Status PublishEvents(absl::Span<const EventInput> events,
                             const Caller& caller) override;
  absl::Status PublishBulk(const BulkInput& bulk,
                           const Caller& caller) override;
  absl::optional<int64_t> DeviceHome(int64_t device_id) const override {
    return inner_.DeviceHome(device_id);
  }

 private:
  Ingest& inner_;
  DoorRejects& rejects_;
};

// The index N of a message starting "<name>[N]", or -1.
int64_t IndexNamed(absl::string_view message, absl::string_view name);

}  // namespace streamgate
