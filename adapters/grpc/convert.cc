#include "adapters/grpc/convert.h"

#include "absl/strings/str_cat.h"

namespace streamgate {

absl::Status ToEventInput(const v1::Event& event, absl::string_view prefix,
                          EventInput& out) {
  out.event_type = event.event_type();
  out.data_struct = event.has_event_data() ? &event.event_data() : nullptr;
  out.data_json = {};
  if (event.has_timestamp()) {
    const auto& ts = event.timestamp();
    if (ts.nanos() < 0 || ts.nanos() > 999999999) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, "timestamp.nanos: must be in [0, 999999999]"));
    }
    out.timestamp = absl::FromUnixSeconds(ts.seconds()) +
                    absl::Nanoseconds(ts.nanos());
  } else {
    out.timestamp = absl::nullopt;
  }
  out.home_id = event.home_id();
  if (event.has_origin_device_id()) {
    out.origin_device_id = event.origin_device_id();
  } else {
    out.origin_device_id = absl::nullopt;
  }
  out.origin_device_class = event.origin_device_class();
  out.origin_device_ip = event.origin_device_ip();
  return absl::OkStatus();
}

BulkInput ToBulkInput(const v1::BulkData& bulk) {
  BulkInput in;
  in.device_id = bulk.device_id();
  in.label = bulk.label();
  in.records = absl::MakeConstSpan(bulk.records().data(),
                                   static_cast<size_t>(bulk.records_size()));
  if (!bulk.msgpack_payload().empty()) in.msgpack_payload = bulk.msgpack_payload();
  return in;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

void ReportRefused(DoorRejects& rejects, const absl::Status& status,
                   absl::string_view rpc, const google::protobuf::MessageLite& message,
                   absl::optional<int64_t> device) {
  const std::string data = message.SerializeAsString();
  DoorReject reject;
  reject.source = "grpc";
  reject.reason = status.message();
  reject.rpc = rpc;
  reject.device = device;
  reject.data = data;
  rejects.Rejected(reject);
}

}  // namespace streamgate
