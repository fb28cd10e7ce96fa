#include "adapters/grpc/stream_item.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/grpc/convert.h"

namespace streamgate {
namespace {

absl::optional<int64_t> DeviceOf(const v1::Event& event) {
  if (!event.has_origin_device_id()) return absl::nullopt;
  return event.origin_device_id();
}

// Ingest names fields relative to its input; the client sent them inside
// `prefix` ("event.", "bulk_data.", "batch."). A batch's message may already
// name it.
absl::Status Prefixed(const absl::Status& status, absl::string_view prefix) {
  if (status.code() != absl::StatusCode::kInvalidArgument ||
      (prefix == "batch." && absl::StartsWith(status.message(), prefix))) {
    return status;
  }
  return absl::InvalidArgumentError(absl::StrCat(prefix, status.message()));
}

ItemOutcome FromResult(const IngestResult& result, absl::string_view prefix,
                       absl::string_view kind) {
  ItemOutcome out;
  out.status = Prefixed(result.status, prefix);
  out.reason = result.reason;
  out.records = static_cast<uint32_t>(result.accepted);
  out.kind = kind;
  return out;
}

ItemOutcome RefusedHere(absl::Status status, absl::string_view kind) {
  ItemOutcome out;
  out.status = std::move(status);
  out.reason = IngestReason::kInvalid;
  out.kind = kind;
  return out;
}

}  // namespace

ItemOutcome HandlePublishItem(const v1::PublishRequest& req, Ingest& ingest,
                              DoorRejects& rejects, const Caller& caller,
                              std::vector<EventInput>& scratch) {
  switch (req.item_case()) {
    case v1::PublishRequest::kEvent: {
      scratch.resize(1);
      absl::Status st = ToEventInput(req.event(), "event.", scratch[0]);
      if (!st.ok()) {
        ReportRefused(rejects, st, "event", req.event(), DeviceOf(req.event()));
        return RefusedHere(std::move(st), "event");
      }
      return FromResult(ingest.PublishEvents(scratch, caller), "event.",
                        "event");
    }
    case v1::PublishRequest::kBatch: {
      const auto& events = req.batch().events();
      scratch.resize(static_cast<size_t>(events.size()));
      for (int i = 0; i < events.size(); ++i) {
        absl::Status st = ToEventInput(
            events[i], absl::StrCat("batch.events[", i, "]."), scratch[i]);
        if (!st.ok()) {
          ReportRefused(rejects, st, "batch", events[i], DeviceOf(events[i]));
          return RefusedHere(std::move(st), "batch");
        }
      }
      return FromResult(ingest.PublishEvents(scratch, caller), "batch.",
                        "batch");
    }
    case v1::PublishRequest::kBulkData:
      return FromResult(
          ingest.PublishBulk(ToBulkInput(req.bulk_data()), caller),
          "bulk_data.", "bulk_data");
    case v1::PublishRequest::ITEM_NOT_SET:
      break;
  }
  absl::Status st = absl::InvalidArgumentError(
      "item: one of event, bulk_data or batch is required");
  ReportRefused(rejects, st, "publish", req, absl::nullopt);
  return RefusedHere(std::move(st), "publish");
}

}  // namespace streamgate
