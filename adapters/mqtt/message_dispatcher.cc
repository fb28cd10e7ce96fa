#include "adapters/mqtt/message_dispatcher.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "adapters/mqtt/topic.h"
#include "adapters/mqtt/topic_mapping.h"
#include "gateway/common/log_text.h"
#include "spdlog/spdlog.h"

namespace streamgate {
namespace {

// Longest topic text quoted in a log line (topics may be 64 KiB).
constexpr size_t kMaxLoggedTopic = 200;

// The reject reason (log line, dead letter) of a device the registry does
// not know, worded as before Ingest took over the rule.
constexpr absl::string_view kUnknownDevice =
    "device is not in the registry and no default_home_id is set";

MqttCounters::Counter& EventCounter(MqttCounters& counters,
                                    EventRejection why) {
  switch (why) {
    case EventRejection::kInvalidJson:
      return counters.rejected_invalid_json;
    case EventRejection::kNotObject:
      return counters.rejected_not_object;
    case EventRejection::kEventType:
      return counters.rejected_event_type;
    case EventRejection::kEventData:
      return counters.rejected_event_data;
    case EventRejection::kNone:
      break;
  }
  return counters.failed_other;  // out of memory, internal errors
}

// A mapping's device_id: the template's value as a positive decimal id, or
// the reason it is none (the value quoted, bounded: it comes from the
// device).
absl::StatusOr<int64_t> ExpandDeviceId(const Template& device_id,
                                       const MessageSource& source,
                                       std::string& scratch) {
  scratch.clear();
  const TemplateSegment* missing = nullptr;
  if (!device_id.Expand(source, scratch, &missing)) {
    return absl::InvalidArgumentError(
        absl::StrCat("device_id ", Template::MissingReason(*missing)));
  }
  absl::StatusOr<int64_t> id = ParseDeviceId(scratch);
  if (!id.ok()) {
    constexpr size_t kMaxQuoted = 64;
    return absl::InvalidArgumentError(absl::StrCat(
        "device_id ", device_id.text(), " gave '",
        absl::string_view(scratch).substr(0, kMaxQuoted),
        scratch.size() > kMaxQuoted ? "..." : "", "': ", id.status().message()));
  }
  return id;
}

}  // namespace

MessageDispatcher::MessageDispatcher(const MqttConfig& config, Ingest& ingest,
                                     DoorRejects& rejects,
                                     MqttCounters& counters,
                                     Backpressure& backpressure)
    : config_(config),
      ingest_(ingest),
      rejects_(rejects),
      counters_(counters),
      backpressure_(backpressure) {}

bool MessageDispatcher::Dispatch(absl::string_view topic,
                                 absl::string_view payload) {
  source_.Reset(topic, payload);
  const bool mode_topic = config_.mode_topics &&
                          (TopicMatches(kEventTopicFilter, topic) ||
                           TopicMatches(kBulkTopicFilter, topic));
  if (!mode_topic) {
    if (const TopicMapping* m = FindMapping(config_.mappings, topic)) {
      return HandleMapped(*m, topic, payload);
    }
    if (!config_.mode_topics) {
      Reject(counters_.rejected_bad_topic, 0, topic,
             "topic matches no mqtt.mappings entry", payload);
      return true;
    }
  }
  auto parsed = ParseDeviceTopic(topic);
  if (!parsed.ok()) {
    Reject(counters_.rejected_bad_topic, 0, topic, parsed.status().message(),
           payload);
    return true;
  }
  if (parsed->kind == DeviceTopic::Kind::kEvent) {
    return HandleEvent(topic, parsed->device_id, payload);
  }
  return HandleBulk(topic, parsed->device_id, parsed->label, payload);
}

bool MessageDispatcher::HandleEvent(absl::string_view topic, int64_t device_id,
                                    absl::string_view payload) {
  // The payload is checked before Ingest consults the registry, so a bad
  // payload from an unknown device counts as the bad payload.
  EventRejection why = EventRejection::kNone;
  absl::StatusOr<EventPayload> parsed = event_parser_.Parse(payload, &why);
  if (!parsed.ok()) {
    Reject(EventCounter(counters_, why), device_id, topic,
           parsed.status().message(), payload);
    return true;
  }
  EventInput event;
  event.event_type = parsed->event_type;
  event.data_json = parsed->data_json;
  event.origin_device_id = device_id;
  event.home_id = 0;  // from the registry, else default_home_id
  event.default_home_id = config_.default_home_id;
  event.source = &source_;
  const absl::optional<IngestResult> result = backpressure_.Publish([&] {
    return ingest_.PublishEvents(absl::MakeConstSpan(&event, 1), Caller{});
  });
  if (!result) return false;
  Settle(*result, counters_.events_accepted, counters_.rejected_event_by_ingest,
         device_id, topic, payload);
  return true;
}

bool MessageDispatcher::HandleBulk(absl::string_view topic, int64_t device_id,
                                   absl::string_view label,
                                   absl::string_view payload) {
  BulkInput bulk;
  bulk.device_id = device_id;
  bulk.label = label;
  bulk.msgpack_payload = payload;
  bulk.source = &source_;
  const absl::optional<IngestResult> result = backpressure_.Publish(
      [&] { return ingest_.PublishBulk(bulk, Caller{}); });
  if (!result) return false;
  Settle(*result, counters_.bulk_accepted, counters_.rejected_bulk_by_ingest,
         device_id, topic, payload);
  return true;
}

bool MessageDispatcher::HandleMapped(const TopicMapping& mapping,
                                     absl::string_view topic,
                                     absl::string_view payload) {
  int64_t device_id = 0;  // none: only records may go without
  if (mapping.device_id) {
    auto id = ExpandDeviceId(*mapping.device_id, source_, expanded_);
    if (!id.ok()) {
      Reject(counters_.rejected_mapping, 0, topic, id.status().message(),
             payload);
      return true;
    }
    device_id = *id;
  }
  if (mapping.as == TopicMapping::As::kRecord) {
    return HandleMappedRecord(mapping, device_id, topic, payload);
  }
  return HandleMappedEvent(mapping, device_id, topic, payload);
}

bool MessageDispatcher::HandleMappedRecord(const TopicMapping& mapping,
                                           int64_t device_id,
                                           absl::string_view topic,
                                           absl::string_view payload) {
  // The payload is the record, byte for byte.
  record_.assign(payload.data(), payload.size());
  const std::string* records[] = {&record_};
  BulkInput bulk;
  bulk.device_id = device_id;
  bulk.label = mapping.label;
  bulk.records = records;
  bulk.source = &source_;
  const absl::optional<IngestResult> result = backpressure_.Publish(
      [&] { return ingest_.PublishBulk(bulk, Caller{}); });
  if (!result) return false;
  Settle(*result, counters_.bulk_accepted, counters_.rejected_bulk_by_ingest,
         device_id, topic, payload);
  return true;
}

bool MessageDispatcher::HandleMappedEvent(const TopicMapping& mapping,
                                          int64_t device_id,
                                          absl::string_view topic,
                                          absl::string_view payload) {
  // As on MODE's topics, the payload is checked before the registry.
  EventRejection why = EventRejection::kNone;
  absl::StatusOr<absl::string_view> data = source_.ObjectText(&why);
  if (!data.ok()) {
    Reject(EventCounter(counters_, why), device_id, topic,
           data.status().message(), payload);
    return true;
  }
  event_type_.clear();
  const TemplateSegment* missing = nullptr;
  if (!mapping.event_type->Expand(source_, event_type_, &missing)) {
    Reject(counters_.rejected_mapping, device_id, topic,
           absl::StrCat("event_type ", Template::MissingReason(*missing)),
           payload);
    return true;
  }
  if (event_type_.empty()) {
    Reject(counters_.rejected_mapping, device_id, topic,
           absl::StrCat("event_type ", mapping.event_type->text(),
                        " gave an empty event type"),
           payload);
    return true;
  }
  EventInput event;
  event.event_type = event_type_;
  event.data_json = *data;
  event.origin_device_id = device_id;
  event.home_id = 0;  // from the registry, else default_home_id
  event.default_home_id = config_.default_home_id;
  event.source = &source_;
  const absl::optional<IngestResult> result = backpressure_.Publish([&] {
    return ingest_.PublishEvents(absl::MakeConstSpan(&event, 1), Caller{});
  });
  if (!result) return false;
  Settle(*result, counters_.events_accepted, counters_.rejected_event_by_ingest,
         device_id, topic, payload);
  return true;
}

void MessageDispatcher::Settle(const IngestResult& result,
                               MqttCounters::Counter& accepted,
                               MqttCounters::Counter& refused,
                               int64_t device_id, absl::string_view topic,
                               absl::string_view payload) {
  if (result.ok()) {
    accepted.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  switch (result.reason) {
    case IngestReason::kUnknownDevice:
      Reject(counters_.rejected_unknown_device, device_id, topic,
             kUnknownDevice, payload);
      return;
    case IngestReason::kInvalid:
    case IngestReason::kTooLarge:
      Reject(refused, device_id, topic, result.message(), payload);
      return;
    case IngestReason::kAccepted:  // not OK, yet no reason: count as other
    case IngestReason::kFull:      // Backpressure waits these out
    case IngestReason::kUnavailable:
    case IngestReason::kStoreFailed:
      break;
  }
  Reject(counters_.failed_other, device_id, topic, result.status.ToString(),
         payload);
}

void MessageDispatcher::Reject(MqttCounters::Counter& counter,
                               int64_t device_id, absl::string_view topic,
                               absl::string_view reason,
                               absl::string_view payload) {
  counter.fetch_add(1, std::memory_order_relaxed);
  DoorReject dead;
  dead.source = "mqtt";
  dead.reason = reason;
  dead.topic = topic;
  if (device_id > 0) dead.device = device_id;
  dead.data = payload;
  rejects_.Rejected(dead);
  // Topics and reasons quote what the device sent: one line each, always.
  const std::string logged_topic = EscapeForLog(topic, kMaxLoggedTopic);
  const std::string logged_reason = EscapeForLog(reason);
  if (device_id > 0) {
    spdlog::error("mqtt: rejected message from device {} on '{}': {}",
                  device_id, logged_topic, logged_reason);
  } else {
    spdlog::error("mqtt: rejected message from device ? on '{}': {}",
                  logged_topic, logged_reason);
  }
}

}  // namespace streamgate
