// DeadLetteringIngest: an Ingest in front of the real one for the gRPC
// adapter. Every input the inner Ingest refuses with INVALID_ARGUMENT is
// reported to DoorRejects (source "grpc") with its raw bytes:
//   - an event: the offending v1.Event, serialized again from the call
//     ("rpc":"event"; a batch whose result names a bad item gives that
//     event, "rpc":"batch"; otherwise the whole batch as a v1.EventBatch);
//   - bulk data ("rpc":"bulk_data"): the offending records[i] when the
//     result names one of explicit records, the MessagePack payload when
//     there is one, otherwise the whole v1.BulkData serialized again.
// The item comes from IngestResult::bad_index, never from the message text.
// The kind, not the RPC name: unary calls and Publish stream items reach
// Ingest the same way. Everything else is passed through untouched.
//
// The asynchronous methods report the same way: Ingest answers
// INVALID_ARGUMENT before the call returns, while the input still exists
// (a late one, against that contract, is passed on unreported).
//
// Threading: as thread-safe as the inner Ingest and DoorRejects.
#pragma once

#include "gateway/api/ingest.h"
#include "gateway/api/rejects.h"

namespace streamgate {

class DeadLetteringIngest : public Ingest {
 public:
  DeadLetteringIngest(Ingest& inner, DoorRejects& rejects)
      : inner_(inner), rejects_(rejects) {}

  IngestResult PublishEvents(absl::Span<const EventInput> events,
                             const Caller& caller) override;
  IngestResult PublishBulk(const BulkInput& bulk,
                           const Caller& caller) override;
  void PublishEventsAsync(absl::Span<const EventInput> events,
                          const Caller& caller, IngestDone done) override;
  void PublishBulkAsync(const BulkInput& bulk, const Caller& caller,
                        IngestDone done) override;

 private:
  void ReportEvents(absl::Span<const EventInput> events,
                    const IngestResult& st);
  void ReportBulk(const BulkInput& bulk, const IngestResult& st);

  Ingest& inner_;
  DoorRejects& rejects_;
};

}  // namespace streamgate
