#include "bench/grpc_load/event_factory.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"

namespace streamgate::bench {
namespace {

// Plain estimate of a Struct value's JSON: the bench only uses numbers and
// ASCII strings, so no escaping is needed.
std::string ValueJson(const google::protobuf::Value& v) {
  switch (v.kind_case()) {
    case google::protobuf::Value::kNumberValue:
      return absl::StrCat(v.number_value());
    case google::protobuf::Value::kStringValue:
      return absl::StrCat("\"", v.string_value(), "\"");
    case google::protobuf::Value::kBoolValue:
      return v.bool_value() ? "true" : "false";
    default:
      return "null";
  }
}

}  // namespace

EventFactory::EventFactory(const LoadOptions& options) : options_(options) {}

streamgate::v1::Event EventFactory::MakeUnpadded(int64_t index) const {
  streamgate::v1::Event e;
  const bool home_event =
      options_.home_every > 0 && (index + 1) % options_.home_every == 0;
  auto& fields = *e.mutable_event_data()->mutable_fields();
  fields["seq"].set_number_value(static_cast<double>(index % 1000000));
  if (home_event) {
    e.set_event_type("home-summary");
    e.set_home_id(HomeOf(index % options_.devices + 1));
  } else {
    e.set_event_type("reading");
    // home_id 0: the gateway takes it (and the class) from its registry.
    e.set_origin_device_id(index % options_.devices + 1);
  }
  return e;
}

std::string EventFactory::EstimateJson(const streamgate::v1::Event& e) const {
  std::string data;
  for (const auto& [key, value] : e.event_data().fields()) {
    absl::StrAppend(&data, data.empty() ? "" : ",", "\"", key,
                    "\":", ValueJson(value));
  }
  const int64_t home = e.has_origin_device_id() ? HomeOf(e.origin_device_id())
                                                : e.home_id();
  std::string json = absl::StrCat(
      "{\"eventType\":\"", e.event_type(), "\",\"eventData\":{", data,
      "},\"timestamp\":\"2024-01-01T00:00:00.000000000Z\",\"homeId\":", home);
  if (e.has_origin_device_id()) {
    absl::StrAppend(&json, ",\"originDeviceId\":", e.origin_device_id(),
                    ",\"originDeviceClass\":\"sensor\"");
  }
  json += "}";
  return json;
}

streamgate::v1::Event EventFactory::Make(int64_t index) const {
  streamgate::v1::Event e = MakeUnpadded(index);
  // Realistic fields while they fit, then a string to reach the size.
  auto& fields = *e.mutable_event_data()->mutable_fields();
  if (static_cast<int64_t>(EstimateJson(e).size()) + 12 <= options_.event_bytes) {
    fields["temp"].set_number_value(18.5 + static_cast<double>(index % 70) / 10);
  }
  if (static_cast<int64_t>(EstimateJson(e).size()) + 11 <= options_.event_bytes) {
    fields["unit"].set_string_value("C");
  }
  // `,"note":""` adds 10 characters before the padding itself.
  const int64_t have = static_cast<int64_t>(EstimateJson(e).size()) + 10;
  const int64_t pad = std::max<int64_t>(0, options_.event_bytes - have);
  if (pad > 0) {
    fields["note"].set_string_value(std::string(pad, 'x'));
  }
  return e;
}

}  // namespace streamgate::bench
