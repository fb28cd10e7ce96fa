#include "gateway/core/ingester.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/common/json_text.h"
#include "gateway/core/event_json.h"
#include "gateway/core/fan_out.h"
#include "gateway/core/msgpack_bulk.h"
#include "gateway/core/partition_key.h"

namespace streamgate {
namespace {

// The render buffer each ingest thread keeps between events; one larger
// event's buffer is let go at the next event.
constexpr size_t kMaxScratchBytes = 64 * 1024;

using ingest_internal::Accepted;
using ingest_internal::Fan;
using ingest_internal::FanError;
using ingest_internal::KeysByHome;
using ingest_internal::Refuse;
using ingest_internal::TooLarge;
using ingest_internal::TooMany;
using ingest_internal::Unqueued;

}  // namespace

Ingester::Ingester(const DeviceRegistry& registry, const RouteTable& routes,
                   size_t max_record_bytes, size_t max_records_per_input,
                   absl::optional<int64_t> default_home_id)
    : registry_(registry),
      routes_(routes),
      max_record_bytes_(max_record_bytes),
      max_records_per_input_(max_records_per_input),
      default_home_id_(default_home_id.value_or(0)) {}

absl::optional<int64_t> Ingester::DefaultHomeId() const {
  const int64_t home = default_home_id_.load(std::memory_order_relaxed);
  if (home == 0) return absl::nullopt;
  return home;
}

IngestResult Ingester::Count(IngestResult result) {
  switch (result.status.code()) {
    case absl::StatusCode::kOk:
      break;
    case absl::StatusCode::kInvalidArgument:
      stats_.invalid.fetch_add(1, std::memory_order_relaxed);
      break;
    case absl::StatusCode::kResourceExhausted:
      stats_.exhausted.fetch_add(1, std::memory_order_relaxed);
      break;
    case absl::StatusCode::kUnavailable:
      stats_.unavailable.fetch_add(1, std::memory_order_relaxed);
      break;
    default:
      break;
  }
  return result;
}

IngestResult Ingester::Draining() {
  IngestResult r;
  r.status = absl::UnavailableError("the gateway is shutting down");
  r.reason = IngestReason::kUnavailable;
  return Count(std::move(r));
}

struct Ingester::Planned {
  std::shared_ptr<Router> router;  // the RouteTable snapshot it was fanned by
  std::vector<ModuleShare> shares;
  bool submit = false;  // some module takes a record
  Tally tally;
};

IngestResult Ingester::Settle(const Tally& tally, absl::Status submitted) {
  if (!submitted.ok()) return Count(Unqueued(std::move(submitted)));
  if (tally.bulk) {
    stats_.bulk_records_accepted.fetch_add(tally.accepted,
                                           std::memory_order_relaxed);
  } else {
    stats_.events_accepted.fetch_add(tally.accepted, std::memory_order_relaxed);
    stats_.unrouted.fetch_add(tally.unrouted, std::memory_order_relaxed);
  }
  return Accepted(tally.accepted);
}

IngestResult Ingester::Submit(IngestResult planned, Planned& p) {
  if (!planned.ok()) return Count(std::move(planned));
  return Settle(p.tally,
                p.submit ? p.router->Submit(p.shares) : absl::OkStatus());
}

void Ingester::SubmitAsync(IngestResult planned, Planned& p, IngestDone done) {
  if (!planned.ok()) return done(Count(std::move(planned)));
  if (!p.submit) return done(Settle(p.tally, absl::OkStatus()));
  // The completion holds the table snapshot: the pending submit refers to
  // that Router until it answers, even if a reload swapped the table.
  Router& router = *p.router;
  router.SubmitAsync(p.shares,
                     [this, keep = std::move(p.router), tally = p.tally,
                      done = std::move(done)](absl::Status st) mutable {
                       done(Settle(tally, std::move(st)));
                     });
}

IngestResult Ingester::PublishEvents(absl::Span<const EventInput> events,
                                     const Caller& caller) {
  if (draining_.load(std::memory_order_acquire)) return Draining();
  Planned p;
  IngestResult planned = PlanEvents(events, caller, p);
  return Submit(std::move(planned), p);
}

IngestResult Ingester::PublishBulk(const BulkInput& bulk,
                                   const Caller& caller) {
  if (draining_.load(std::memory_order_acquire)) return Draining();
  Planned p;
  IngestResult planned = PlanBulk(bulk, p);
  return Submit(std::move(planned), p);
}

void Ingester::PublishEventsAsync(absl::Span<const EventInput> events,
                                  const Caller& caller, IngestDone done) {
  if (draining_.load(std::memory_order_acquire)) return done(Draining());
  Planned p;
  IngestResult planned = PlanEvents(events, caller, p);
  SubmitAsync(std::move(planned), p, std::move(done));
}

void Ingester::PublishBulkAsync(const BulkInput& bulk, const Caller& caller,
                                IngestDone done) {
  if (draining_.load(std::memory_order_acquire)) return done(Draining());
  Planned p;
  IngestResult planned = PlanBulk(bulk, p);
  SubmitAsync(std::move(planned), p, std::move(done));
}

IngestResult Ingester::PlanEvents(absl::Span<const EventInput> events,
                                  const Caller& caller, Planned& p) {
  if (events.size() > max_records_per_input_) {
    return TooMany("events", events.size(), max_records_per_input_);
  }
  const absl::Time now = absl::Now();
  const auto devices = registry_.Snapshot();
  // One table for the whole input, and for its submit (Planned::router).
  p.router = routes_.Snapshot();
  Router& router = *p.router;
  const absl::optional<int64_t> default_home_id = DefaultHomeId();
  std::vector<ModuleShare>& shares = p.shares;
  shares.resize(router.size());
  const bool many = events.size() != 1;
  bool routed = false;
  size_t unrouted = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const EventInput& in = events[i];
    const int64_t index = static_cast<int64_t>(i);
    // A batch names the bad event by index; a single event needs no index.
    // Made only for a refusal: accepted events pay no formatting.
    auto prefix = [&] {
      return many ? absl::StrCat("events[", i, "].") : std::string();
    };
    auto field = [&] {
      return many ? absl::StrCat("events[", i, "]") : std::string("event");
    };
    auto invalid = [&](absl::string_view message) {
      return Refuse(IngestReason::kInvalid, index, prefix(), message);
    };
    if (in.event_type.empty()) return invalid("event_type: must not be empty");
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
    if (in.home_id < 0) return invalid("home_id: must be positive");
    absl::optional<DeviceInfo> known;
    if (in.origin_device_id) {
      if (*in.origin_device_id <= 0) {
        return invalid("origin_device_id: must be > 0");
      }
      known = devices->Find(*in.origin_device_id);
    }
    // The one rule for unknown devices, whatever the door: the registry (or
    // else a default home) supplies only what the input lacks.
    const absl::optional<int64_t> fallback =
        in.default_home_id ? in.default_home_id : default_home_id;
    if (e.home_id == 0) {
      if (known) {
        e.home_id = known->home_id;
      } else if (in.origin_device_id && fallback) {
        e.home_id = *fallback;
      } else if (in.origin_device_id) {
        return Refuse(IngestReason::kUnknownDevice, index, prefix(),
                      "home_id: required (device is not in the device "
                      "registry)");
      } else {
        return invalid("home_id: required for a home event");
      }
    }
    if (e.origin_device_class.empty() && known) {
      e.origin_device_class = known->device_class;
    }
    if (in.timestamp) {
      if (!IsRenderableTime(*in.timestamp)) {
        return invalid("timestamp: outside years 0001..9999");
      }
      e.timestamp = *in.timestamp;
    } else {
      e.timestamp = now;
    }
    // Rendered even when no module takes it, so bad input is refused the
    // same way whatever the routing.
    // Rendered into this thread's scratch buffer, then copied out at its
    // exact size: no regrowth while rendering (a ~150-byte event renders to
    // ~260 bytes), and a queued record holds no spare capacity.
    thread_local std::string json;
    json.clear();
    if (json.capacity() > kMaxScratchBytes) std::string().swap(json);
    absl::Status st = RenderEvent(e, json);
    if (!st.ok()) return invalid(st.message());
    const int64_t key_id =
        in.origin_device_id ? *in.origin_device_id : e.home_id;
    std::string key = IdKey(key_id);
    if (json.size() + key.size() > max_record_bytes_) {
      return Refuse(IngestReason::kTooLarge, index, field(),
                    TooLarge(json.size() + key.size(), max_record_bytes_));
    }
    const std::vector<int>& targets = router.MatchEvent(in.event_type);
    if (targets.empty()) {  // accepted, counted as unrouted
      ++unrouted;
      continue;
    }
    routed = true;
    auto data = std::make_shared<const std::string>(json);
    KeyInput key_input;
    key_input.device_id = in.origin_device_id;
    key_input.home_id = e.home_id;
    key_input.event_type = in.event_type;
    key_input.source = in.source;
    FanError fan = Fan(router, targets, data, key, key_input, max_record_bytes_,
                       events.size() - i, shares);
    if (fan.reason != IngestReason::kAccepted) {
      return Refuse(fan.reason, index, field(), fan.message);
    }
  }
  p.submit = routed;
  p.tally = Tally{events.size(), unrouted, false};
  return Accepted(events.size());
}

IngestResult Ingester::PlanBulk(const BulkInput& bulk, Planned& p) {
  auto invalid = [](absl::string_view message) {
    return Refuse(IngestReason::kInvalid, -1, "", message);
  };
  // Only a mapped MQTT record (it has a source) may come without a device.
  if (bulk.device_id < 0 || (bulk.device_id == 0 && bulk.source == nullptr)) {
    return invalid("device_id: must be > 0");
  }
  if (bulk.label.empty()) return invalid("label: must not be empty");
  if (bulk.msgpack_payload && !bulk.records.empty()) {
    return invalid("records: set either records or msgpack_payload, not both");
  }
  if (bulk.records.size() > max_records_per_input_) {
    return TooMany("records", bulk.records.size(), max_records_per_input_);
  }
  std::vector<std::string> decoded;
  const bool from_msgpack = bulk.msgpack_payload.has_value();
  if (from_msgpack) {
    auto payload =
        DecodeBulkPayload(*bulk.msgpack_payload, max_records_per_input_);
    if (!payload.ok()) return invalid(payload.status().message());
    decoded = *std::move(payload);
  }
  const size_t count = from_msgpack ? decoded.size() : bulk.records.size();
  p.router = routes_.Snapshot();
  Router& router = *p.router;
  const std::vector<int>& targets = router.MatchLabel(bulk.label);
  if (targets.empty()) {
    stats_.unrouted.fetch_add(count, std::memory_order_relaxed);
  }
  std::vector<ModuleShare>& shares = p.shares;
  shares.resize(router.size());
  const std::string key = bulk.device_id > 0 ? IdKey(bulk.device_id) : "";
  KeyInput key_input;
  if (bulk.device_id > 0) key_input.device_id = bulk.device_id;
  key_input.label = bulk.label;
  key_input.source = bulk.source;
  if (bulk.device_id > 0 && KeysByHome(router, targets)) {
    const auto devices = registry_.Snapshot();
    const absl::optional<DeviceInfo> known = devices->Find(bulk.device_id);
    if (known) {
      key_input.home_id = known->home_id;
    } else if (const auto home = DefaultHomeId()) {
      key_input.home_id = *home;
    }
  }
  for (size_t i = 0; i < count; ++i) {
    const std::string& record = from_msgpack ? decoded[i] : *bulk.records[i];
    auto field = [i] { return absl::StrCat("records[", i, "]"); };
    const int64_t index = static_cast<int64_t>(i);
    if (record.size() + key.size() > max_record_bytes_) {
      return Refuse(IngestReason::kTooLarge, index, field(),
                    TooLarge(record.size() + key.size(), max_record_bytes_));
    }
    if (targets.empty()) continue;
    // Decoded strings are ours to move; explicit records are copied once.
    RecordData data =
        from_msgpack
            ? std::make_shared<const std::string>(std::move(decoded[i]))
            : std::make_shared<const std::string>(record);
    FanError fan = Fan(router, targets, data, key, key_input, max_record_bytes_,
                       count - i, shares);
    if (fan.reason != IngestReason::kAccepted) {
      return Refuse(fan.reason, index, field(), fan.message);
    }
  }
  p.submit = !targets.empty() && count > 0;
  p.tally = Tally{count, 0, true};
  return Accepted(count);
}

}  // namespace streamgate
