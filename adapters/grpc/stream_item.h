// One Publish stream item: its conversion, the adapter's own checks (a
// timestamp out of range, no item set; reported as door rejects) and the
// Ingest call, giving what its PublishResponse says. Error messages name the
// field from the request's root ("event.event_type: ...",
// "batch.events[1].home_id: ...", "bulk_data.records[0]: ..."), so a client
// can find the fault in what it sent.
//
// The item goes to Ingest's asynchronous methods, so a stream need not wait
// for a spool's fdatasync before reading its next item.
//
// Threading: a pure function of its arguments; `scratch` belongs to the
// calling stream (one item at a time). `done` runs where Ingest's
// completions run (ingest.h).
#pragma once

#include <cstdint>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gateway/api/ingest.h"
#include "gateway/api/rejects.h"
#include "streamgate/v1/gateway.pb.h"

namespace streamgate {

struct ItemOutcome {
  absl::Status status;  // what the response carries
  IngestReason reason = IngestReason::kAccepted;
  uint32_t records = 0;    // records accepted, when OK
  absl::string_view kind;  // "event", "batch", "bulk_data" or "publish"
};

using ItemDone = absl::AnyInvocable<void(ItemOutcome)>;

// Answers through `done`, exactly once; `request` and `scratch` are needed
// only until the call returns. `scratch` is reused between items so a
// stream does not allocate per item.
void HandlePublishItem(const v1::PublishRequest& request, Ingest& ingest,
                       DoorRejects& rejects, const Caller& caller,
                       std::vector<EventInput>& scratch, ItemDone done);

}  // namespace streamgate
