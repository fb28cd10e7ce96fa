#include "gateway/core/ingester.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/core/event_json.h"
#include "gateway/common/json_text.h"
#include "gateway/core/msgpack_bulk.h"
#include "gateway/core/partition_key.h"
#include "gateway/common/status_macros.h"

namespace streamgate {
namespace {

absl::Status Invalid(absl::string_view prefix, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(prefix, message));
}

// Adds `data` under `natural_key` to every module in `targets`, checking the
// per-record limit with each module's own key (a UUID is longer than an id).
absl::Status Fan(const Router& router, const std::vector<int>& targets,
                 const RecordData& data, const std::string& natural_key,
                 size_t max_record_bytes, absl::string_view field,
                 std::vector<ModuleShare>& shares) {
  for (int m : targets) {
    const RoutedModule& mod = router.module(m);
    OutRecord r{data, mod.use_uuid ? RandomUuidV4() : natural_key};
    if (r.size() > max_record_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": record of ", r.size(),
          " bytes (data + partition key) exceeds the limit of ",
          max_record_bytes, " bytes"));
    }
    shares[m].bytes += r.size();
    shares[m].records.push_back(std::move(r));
  }
  return absl::OkStatus();
}

}  // namespace

Ingester::Ingester(const DeviceRegistry& registry, Router& router,
                   size_t max_record_bytes)
    : registry_(registry), router_(router), max_record_bytes_(max_record_bytes) {}

absl::optional<int64_t> Ingester::DeviceHome(int64_t device_id) const {
  auto devices = registry_.Snapshot();
  auto it = devices->find(device_id);
  if (it == devices->end()) return absl::nullopt;
  return it->second.home_id;
}

absl::Status Ingester::Count(absl::Status status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: break;
    case absl::StatusCode::kInvalidArgument:
      stats_.invalid.fetch_add(1, std::memory_order_relaxed);
      break;
    case absl::StatusCode::kResourceExhausted:
      stats_.exhausted.fetch_add(1, std::memory_order_relaxed);
      break;
    case absl::StatusCode::kUnavailable:
      stats_.unavailable.fetch_add(1, std::memory_order_relaxed);
      break;
    default: break;
  }
  return status;
}

absl::Status Ingester::PublishEvents(absl::Span<const EventInput> events,
                                     const Caller& caller) {
  if (draining_.load(std::memory_order_acquire)) {
    return Count(absl::UnavailableError("the gateway is shutting down"));
  }
  return Count(PublishEventsImpl(events, caller));
}

absl::Status Ingester::PublishBulk(const BulkInput& bulk,
                                   const Caller& caller) {
  if (draining_.load(std::memory_order_acquire)) {
    return Count(absl::UnavailableError("the gateway is shutting down"));
  }
  return Count(PublishBulkImpl(bulk));
}

absl::Status Ingester::PublishEventsImpl(absl::Span<const EventInput> events,
                                         const Caller& caller) {
  const absl::Time now = absl::Now();
  const auto devices = registry_.Snapshot();
  std::vector<ModuleShare> shares(router_.size());
  const bool many = events.size() != 1;
  bool routed = false;
  size_t unrouted = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const EventInput& in = events[i];
    // A batch names the bad event by index; a single event needs no index.
    const std::string prefix = many ? absl::StrCat("events[", i, "].") : "";
    if (in.event_type.empty()) {
      return Invalid(prefix, "event_type: must not be empty");
    }
    ResolvedEvent e;
    e.event_type = in.event_type;
    e.data_struct = in.data_struct;
    e.data_json = in.data_json;
    e.home_id = in.home_id;
    e.origin_device_id = in.origin_device_id;
    e.origin_device_class = in.origin_device_class;
    e.origin_device_ip = in.origin_device_ip;
    e.origin_project_key_id = caller.key_id;
    e.origin_project_key_name = caller.key_name;
    if (in.home_id < 0) return Invalid(prefix, "home_id: must be positive");
    const DeviceInfo* known = nullptr;
    if (in.origin_device_id) {
      if (*in.origin_device_id <= 0) {
        return Invalid(prefix, "origin_device_id: must be > 0");
      }
      auto it = devices->find(*in.origin_device_id);
      if (it != devices->end()) known = &it->second;
    }
    if (e.home_id == 0) {
      if (known == nullptr) {
        return Invalid(prefix,
                       in.origin_device_id
                           ? "home_id: required (device is not in the "
                             "device registry)"
                           : "home_id: required for a home event");
      }
      e.home_id = known->home_id;
    }
    if (e.origin_device_class.empty() && known != nullptr) {
      e.origin_device_class = known->device_class;
    }
    if (in.timestamp) {
      if (!IsRenderableTime(*in.timestamp)) {
        return Invalid(prefix, "timestamp: outside years 0001..9999");
      }
      e.timestamp = *in.timestamp;
    } else {
      e.timestamp = now;
    }
    // Rendered even when no module takes it, so bad input is refused the
    // same way whatever the routing.
    std::string json;
    json.reserve(256);
    absl::Status st = RenderEvent(e, json);
    if (!st.ok()) return Invalid(prefix, st.message());
    const int64_t key_id = in.origin_device_id ? *in.origin_device_id : e.home_id;
    std::string key = IdKey(key_id);
    const std::string field = many ? absl::StrCat("events[", i, "]") : "event";
    if (json.size() + key.size() > max_record_bytes_) {
      return Invalid(field, absl::StrCat(": record of ", json.size() + key.size(),
                                         " bytes (data + partition key) exceeds "
                                         "the limit of ", max_record_bytes_,
                                         " bytes"));
    }
    const std::vector<int>& targets = router_.MatchEvent(in.event_type);
    if (targets.empty()) {  // accepted, counted as unrouted
      ++unrouted;
      continue;
    }
    routed = true;
    auto data = std::make_shared<const std::string>(std::move(json));
    RETURN_IF_ERROR(
        Fan(router_, targets, data, key, max_record_bytes_, field, shares));
  }
  if (routed) RETURN_IF_ERROR(router_.Submit(shares));
  stats_.events_accepted.fetch_add(events.size(), std::memory_order_relaxed);
  stats_.unrouted.fetch_add(unrouted, std::memory_order_relaxed);
  return absl::OkStatus();
}

absl::Status Ingester::PublishBulkImpl(const BulkInput& bulk) {
  if (bulk.device_id <= 0) {
    return absl::InvalidArgumentError("device_id: must be > 0");
  }
  if (bulk.label.empty()) {
    return absl::InvalidArgumentError("label: must not be empty");
  }
  if (bulk.msgpack_payload && !bulk.records.empty()) {
    return absl::InvalidArgumentError(
        "records: set either records or msgpack_payload, not both");
  }
  std::vector<std::string> decoded;
  const bool from_msgpack = bulk.msgpack_payload.has_value();
  if (from_msgpack) {
    ASSIGN_OR_RETURN(decoded, DecodeBulkPayload(*bulk.msgpack_payload));
  }
  const size_t count = from_msgpack ? decoded.size() : bulk.records.size();
  const std::vector<int>& targets = router_.MatchLabel(bulk.label);
  if (targets.empty()) {
    stats_.unrouted.fetch_add(count, std::memory_order_relaxed);
  }
  std::vector<ModuleShare> shares(router_.size());
  const std::string key = IdKey(bulk.device_id);
  for (size_t i = 0; i < count; ++i) {
    const std::string& record = from_msgpack ? decoded[i] : *bulk.records[i];
    const std::string field = absl::StrCat("records[", i, "]");
    if (record.size() + key.size() > max_record_bytes_) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": record of ", record.size() + key.size(),
          " bytes (data + partition key) exceeds the limit of ",
          max_record_bytes_, " bytes"));
    }
    if (targets.empty()) continue;
    // Decoded strings are ours to move; explicit records are copied once.
    RecordData data =
        from_msgpack ? std::make_shared<const std::string>(std::move(decoded[i]))
                     : std::make_shared<const std::string>(record);
    RETURN_IF_ERROR(
        Fan(router_, targets, data, key, max_record_bytes_, field, shares));
  }
  if (!targets.empty() && count > 0) RETURN_IF_ERROR(router_.Submit(shares));
  stats_.bulk_records_accepted.fetch_add(count, std::memory_order_relaxed);
  if (bulk.accepted_records != nullptr) *bulk.accepted_records = count;
  return absl::OkStatus();
}

}  // namespace streamgate
