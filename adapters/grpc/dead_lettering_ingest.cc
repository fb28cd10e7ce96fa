#include "adapters/grpc/dead_lettering_ingest.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "streamgate/v1/gateway.pb.h"

namespace streamgate {
namespace {

void ToProto(const EventInput& in, v1::Event& out) {
  out.set_event_type(std::string(in.event_type));
  if (in.data_struct != nullptr) *out.mutable_event_data() = *in.data_struct;
  if (in.timestamp) {
    const absl::Duration since = *in.timestamp - absl::UnixEpoch();
    const int64_t seconds = absl::ToInt64Seconds(since);
    out.mutable_timestamp()->set_seconds(seconds);
    out.mutable_timestamp()->set_nanos(static_cast<int32_t>(
        absl::ToInt64Nanoseconds(since - absl::Seconds(seconds))));
  }
  out.set_home_id(in.home_id);
  if (in.origin_device_id) out.set_origin_device_id(*in.origin_device_id);
  out.set_origin_device_class(std::string(in.origin_device_class));
  out.set_origin_device_ip(std::string(in.origin_device_ip));
}

// Whether an asynchronous call is still inside Ingest: only then may its
// answer read the caller's input. The caller's return waits for a report
// in progress.
class InsideCall {
 public:
  // Runs `report` when the call has not returned yet.
  template <typename F>
  void IfInside(F report) {
    absl::MutexLock lock(&mu_);
    if (inside_) report();
  }
  void Returned() {
    absl::MutexLock lock(&mu_);
    inside_ = false;
  }

 private:
  absl::Mutex mu_;
  bool inside_ ABSL_GUARDED_BY(mu_) = true;
};

}  // namespace

IngestResult DeadLetteringIngest::PublishEvents(
    absl::Span<const EventInput> events, const Caller& caller) {
  IngestResult st = inner_.PublishEvents(events, caller);
  ReportEvents(events, st);
  return st;
}

void DeadLetteringIngest::PublishEventsAsync(
    absl::Span<const EventInput> events, const Caller& caller,
    IngestDone done) {
  auto inside = std::make_shared<InsideCall>();
  inner_.PublishEventsAsync(
      events, caller,
      [this, events, inside, done = std::move(done)](IngestResult st) mutable {
        if (st.code() == absl::StatusCode::kInvalidArgument) {
          inside->IfInside([&] { ReportEvents(events, st); });
        }
        done(std::move(st));
      });
  inside->Returned();
}

void DeadLetteringIngest::PublishBulkAsync(const BulkInput& bulk,
                                           const Caller& caller,
                                           IngestDone done) {
  auto inside = std::make_shared<InsideCall>();
  inner_.PublishBulkAsync(
      bulk, caller,
      [this, &bulk, inside, done = std::move(done)](IngestResult st) mutable {
        if (st.code() == absl::StatusCode::kInvalidArgument) {
          inside->IfInside([&] { ReportBulk(bulk, st); });
        }
        done(std::move(st));
      });
  inside->Returned();
}

void DeadLetteringIngest::ReportEvents(absl::Span<const EventInput> events,
                                       const IngestResult& st) {
  if (st.code() != absl::StatusCode::kInvalidArgument) return;
  DoorReject r;
  r.source = "grpc";
  r.reason = st.message();
  std::string data;
  const int64_t i = events.size() == 1 ? 0 : st.bad_index;
  r.rpc = events.size() == 1 ? "event" : "batch";
  if (i >= 0 && static_cast<size_t>(i) < events.size()) {
    v1::Event event;
    ToProto(events[i], event);
    event.SerializeToString(&data);
    r.device = events[i].origin_device_id;
  } else {
    v1::EventBatch batch;
    for (const EventInput& in : events) ToProto(in, *batch.add_events());
    batch.SerializeToString(&data);
  }
  r.data = data;
  rejects_.Rejected(r);
}

IngestResult DeadLetteringIngest::PublishBulk(const BulkInput& bulk,
                                              const Caller& caller) {
  IngestResult st = inner_.PublishBulk(bulk, caller);
  ReportBulk(bulk, st);
  return st;
}

void DeadLetteringIngest::ReportBulk(const BulkInput& bulk,
                                     const IngestResult& st) {
  if (st.code() != absl::StatusCode::kInvalidArgument) return;
  DoorReject r;
  r.source = "grpc";
  r.reason = st.message();
  r.rpc = "bulk_data";
  r.device = bulk.device_id;
  std::string data;
  const int64_t i = st.bad_index;
  if (bulk.msgpack_payload) {
    r.data = *bulk.msgpack_payload;
  } else if (i >= 0 && static_cast<size_t>(i) < bulk.records.size()) {
    r.data = *bulk.records[i];
  } else {
    v1::BulkData proto;
    proto.set_device_id(bulk.device_id);
    proto.set_label(std::string(bulk.label));
    for (const std::string* rec : bulk.records) proto.add_records(*rec);
    proto.SerializeToString(&data);
    r.data = data;
  }
  rejects_.Rejected(r);
}

}  // namespace streamgate
