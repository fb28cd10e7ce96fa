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

// Ingest's answer as the item's outcome.
IngestDone Outcome(absl::string_view prefix, absl::string_view kind,
                   ItemDone done) {
  return [prefix, kind, done = std::move(done)](IngestResult r) mutable {
    done(FromResult(r, prefix, kind));
  };
}

}  // namespace

void HandlePublishItem(const v1::PublishRequest& req, Ingest& ingest,
                       DoorRejects& rejects, const Caller& caller,
                       std::vector<EventInput>& scratch, ItemDone done) {
  switch (req.item_case()) {
    case v1::PublishRequest::kEvent: {
      scratch.resize(1);
      absl::Status st = ToEventInput(req.event(), "event.", scratch[0]);
      if (!st.ok()) {
        ReportRefused(rejects, st, "event", req.event(), DeviceOf(req.event()));
        return done(RefusedHere(std::move(st), "event"));
      }
      return ingest.PublishEventsAsync(
          scratch, caller, Outcome("event.", "event", std::move(done)));
    }
    case v1::PublishRequest::kBatch: {
      const auto& events = req.batch().events();
      scratch.resize(static_cast<size_t>(events.size()));
      for (int i = 0; i < events.size(); ++i) {
        absl::Status st = ToEventInput(
            events[i], absl::StrCat("batch.events[", i, "]."), scratch[i]);
        if (!st.ok()) {
          ReportRefused(rejects, st, "batch", events[i], DeviceOf(events[i]));
          return done(RefusedHere(std::move(st), "batch"));
        }
      }
      return ingest.PublishEventsAsync(
          scratch, caller, Outcome("batch.", "batch", std::move(done)));
    }
    case v1::PublishRequest::kBulkData:
      return ingest.PublishBulkAsync(
          ToBulkInput(req.bulk_data()), caller,
          Outcome("bulk_data.", "bulk_data", std::move(done)));
    case v1::PublishRequest::ITEM_NOT_SET:
      break;
  }
  absl::Status st = absl::InvalidArgumentError(
      "item: one of event, bulk_data or batch is required");
  ReportRefused(rejects, st, "publish", req, absl::nullopt);
  done(RefusedHere(std::move(st), "publish"));
}

}  // namespace streamgate
