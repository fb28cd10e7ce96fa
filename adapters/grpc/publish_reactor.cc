#include "adapters/grpc/publish_reactor.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/grpc/convert.h"

namespace streamgate {
namespace {

absl::optional<int64_t> DeviceOf(const v1::Event& event) {
  if (!event.has_origin_device_id()) return absl::nullopt;
  return event.origin_device_id();
}

}  // namespace

PublishReactor::PublishReactor(Ingest& ingest, size_t window,
                               AuthenticatedCaller caller, DoorRejects& rejects)
    : ingest_(ingest),
      rejects_(rejects),
      window_(window),
      caller_(std::move(caller)) {
  StartRead(&request_);
}

v1::PublishResponse PublishReactor::Handle(const v1::PublishRequest& req) {
  v1::PublishResponse resp;
  resp.set_id(req.id());
  absl::Status st;
  uint32_t records = 0;
  switch (req.item_case()) {
    case v1::PublishRequest::kEvent: {
      scratch_.resize(1);
      st = ToEventInput(req.event(), "event.", scratch_[0]);
      if (!st.ok()) {
        ReportRefused(rejects_, st, "event", req.event(),
                      DeviceOf(req.event()));
      } else {
        st = ingest_.PublishEvents(scratch_, Caller{caller_.key_id, caller_.key_name});
        if (st.code() == absl::StatusCode::kInvalidArgument) {
          st = absl::InvalidArgumentError(absl::StrCat("event.", st.message()));
        }
      }
      records = 1;
      break;
    }
    case v1::PublishRequest::kBatch: {
      const auto& events = req.batch().events();
      scratch_.resize(events.size());
      for (int i = 0; i < events.size() && st.ok(); ++i) {
        st = ToEventInput(events[i], absl::StrCat("batch.events[", i, "]."),
                          scratch_[i]);
        if (!st.ok()) {
          ReportRefused(rejects_, st, "batch", events[i], DeviceOf(events[i]));
        }
      }
      if (st.ok()) {
        st = ingest_.PublishEvents(scratch_, Caller{caller_.key_id, caller_.key_name});
        if (!st.ok() && st.code() == absl::StatusCode::kInvalidArgument &&
            !absl::StartsWith(st.message(), "batch.")) {
          st = absl::InvalidArgumentError(absl::StrCat("batch.", st.message()));
        }
      }
      records = static_cast<uint32_t>(events.size());
      break;
    }
    case v1::PublishRequest::kBulkData: {
      size_t accepted = 0;
      BulkInput in = ToBulkInput(req.bulk_data());
      in.accepted_records = &accepted;
      st = ingest_.PublishBulk(in, Caller{caller_.key_id, caller_.key_name});
      if (st.code() == absl::StatusCode::kInvalidArgument) {
        st = absl::InvalidArgumentError(absl::StrCat("bulk_data.", st.message()));
      }
      records = static_cast<uint32_t>(accepted);
      break;
    }
    case v1::PublishRequest::ITEM_NOT_SET:
      st = absl::InvalidArgumentError(
          "item: one of event, bulk_data or batch is required");
      ReportRefused(rejects_, st, "publish", req, absl::nullopt);
      break;
  }
  resp.set_code(static_cast<int32_t>(st.code()));
  if (st.ok()) {
    resp.set_records(records);
  } else {
    resp.set_message(std::string(st.message()));
  }
  return resp;
}

void PublishReactor::OnReadDone(bool ok) {
  if (!ok) {
    absl::MutexLock lock(&mu_);
    reads_done_ = true;
    MaybeFinishLocked();
    return;
  }
  v1::PublishResponse resp = Handle(request_);
  absl::MutexLock lock(&mu_);
  pending_.push_back(std::move(resp));
  MaybeWriteLocked();
  if (broken_) return;
  if (pending_.size() >= window_) {
    read_paused_ = true;  // resumed by OnWriteDone at half the window
  } else {
    StartRead(&request_);
  }
}

void PublishReactor::MaybeWriteLocked() {
  if (writing_ || pending_.empty() || broken_) return;
  writing_ = true;
  grpc::WriteOptions options;
  if (pending_.size() > 1) options.set_buffer_hint();
  StartWrite(&pending_.front(), options);
}

void PublishReactor::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  writing_ = false;
  pending_.pop_front();
  if (!ok) {
    broken_ = true;  // the client went away; its unanswered items are lost to it
    MaybeFinishLocked();
    return;
  }
  MaybeWriteLocked();
  if (read_paused_ && pending_.size() <= window_ / 2) {
    read_paused_ = false;
    StartRead(&request_);
  }
  MaybeFinishLocked();
}

void PublishReactor::MaybeFinishLocked() {
  if (finished_ || writing_) return;
  if (broken_ || (reads_done_ && pending_.empty())) {
    finished_ = true;
    Finish(broken_ ? grpc::Status(grpc::StatusCode::CANCELLED, "stream broken")
                   : grpc::Status::OK);
  }
}

void PublishReactor::OnDone() { delete this; }

}  // namespace streamgate
