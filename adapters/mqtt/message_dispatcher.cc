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

// An answer that settles nothing: a module's spool could not store the
// input (Ingest's "other codes"). Full queues never get here (Backpressure
// waits them out).
bool IsStoreFailure(const IngestResult& result) {
  if (result.ok()) return false;
  switch (result.reason) {
    case IngestReason::kInvalid:
    case IngestReason::kUnknownDevice:
    case IngestReason::kTooLarge:
      return false;
    default:
      return true;
  }
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
  const InboundMessage message{topic, payload};
  return DispatchBatch(absl::MakeConstSpan(&message, 1)).settled == 1;
}

BatchResult MessageDispatcher::DispatchBatch(
    absl::Span<const InboundMessage> batch) {
  pending_.clear();
  arena_.clear();
  BatchResult::Stop stop = BatchResult::Stop::kNone;
  for (size_t i = 0; i < batch.size(); ++i) {
    const InboundMessage& m = batch[i];
    // Without mappings every topic is read as MODE's (a bad one is refused
    // by ParseDeviceTopic): no filter matching per message.
    const bool mode_topic =
        config_.mode_topics &&
        (config_.mappings.empty() || TopicMatches(kEventTopicFilter, m.topic) ||
         TopicMatches(kBulkTopicFilter, m.topic));
    if (!mode_topic) {
      if (const TopicMapping* mapping = FindMapping(config_.mappings, m.topic)) {
        // A mapped message keeps its place in the order, like bulk data.
        if (auto given_up = FlushEvents(batch)) return *given_up;
        if (!HandleMapped(*mapping, m, &stop)) return BatchResult{i, stop};
        continue;
      }
      if (!config_.mode_topics) {
        Reject(counters_.rejected_bad_topic, 0, m.topic,
               "topic matches no mqtt.mappings entry", m.payload);
        continue;
      }
    }
    auto parsed = ParseDeviceTopic(m.topic);
    if (!parsed.ok()) {
      Reject(counters_.rejected_bad_topic, 0, m.topic,
             parsed.status().message(), m.payload);
      continue;
    }
    if (parsed->kind == DeviceTopic::Kind::kBulk) {
      // Bulk data keeps its place in the order: the events before it first.
      if (auto given_up = FlushEvents(batch)) return *given_up;
      if (!PublishBulk(m, parsed->device_id, parsed->label, &stop)) {
        return BatchResult{i, stop};
      }
      continue;
    }
    // The payload is checked before Ingest consults the registry, so a bad
    // payload from an unknown device counts as the bad payload.
    EventRejection why = EventRejection::kNone;
    absl::StatusOr<EventPayload> event = event_parser_.Parse(m.payload, &why);
    if (!event.ok()) {
      Reject(EventCounter(counters_, why), parsed->device_id, m.topic,
             event.status().message(), m.payload);
      continue;
    }
    PendingEvent p;
    p.index = i;
    p.device_id = parsed->device_id;
    p.type_at = arena_.size();
    p.type_size = event->event_type.size();
    arena_.append(event->event_type.data(), event->event_type.size());
    p.data_at = arena_.size();
    p.data_size = event->data_json.size();
    arena_.append(event->data_json.data(), event->data_json.size());
    pending_.push_back(p);
  }
  if (auto given_up = FlushEvents(batch)) return *given_up;
  return BatchResult{batch.size(), BatchResult::Stop::kNone};
}

absl::optional<BatchResult> MessageDispatcher::FlushEvents(
    absl::Span<const InboundMessage> batch) {
  if (pending_.empty()) return absl::nullopt;
  inputs_.clear();
  const absl::string_view arena = arena_;
  for (const PendingEvent& p : pending_) {
    EventInput event;
    event.event_type = arena.substr(p.type_at, p.type_size);
    event.data_json = arena.substr(p.data_at, p.data_size);
    event.origin_device_id = p.device_id;
    event.home_id = 0;  // from the registry, else default_home_id
    event.default_home_id = config_.default_home_id;
    MessageSource& source = EventSource(inputs_.size());
    source.Reset(batch[p.index].topic, batch[p.index].payload);
    event.source = &source;
    inputs_.push_back(event);
  }
  const size_t first = pending_.front().index;
  absl::optional<BatchResult> given_up;
  const absl::optional<IngestResult> result = backpressure_.Publish(
      [&] { return ingest_.PublishEvents(inputs_, Caller{}); });
  if (!result) {
    given_up = BatchResult{first, BatchResult::Stop::kStopping};
  } else if (result->ok()) {
    counters_.events_accepted.fetch_add(inputs_.size(),
                                        std::memory_order_relaxed);
  } else if (IsStoreFailure(*result)) {
    counters_.commit_refused.fetch_add(1, std::memory_order_relaxed);
    given_up = BatchResult{first, BatchResult::Stop::kStoreFailed};
  } else if (inputs_.size() == 1) {
    const PendingEvent& p = pending_.front();
    const InboundMessage& m = batch[p.index];
    Settle(*result, counters_.events_accepted,
           counters_.rejected_event_by_ingest, p.device_id, m.topic, m.payload);
  } else {
    // One bad event refused them all: find it (them) one at a time.
    for (size_t k = 0; k < pending_.size(); ++k) {
      BatchResult::Stop stop = BatchResult::Stop::kNone;
      const PendingEvent& p = pending_[k];
      if (!PublishOneEvent(batch[p.index], inputs_[k], p.device_id, &stop)) {
        given_up = BatchResult{p.index, stop};
        break;
      }
    }
  }
  pending_.clear();
  arena_.clear();
  return given_up;
}

bool MessageDispatcher::PublishOneEvent(const InboundMessage& message,
                                        const EventInput& event,
                                        int64_t device_id,
                                        BatchResult::Stop* stop) {
  const absl::optional<IngestResult> result = backpressure_.Publish([&] {
    return ingest_.PublishEvents(absl::MakeConstSpan(&event, 1), Caller{});
  });
  return Finish(result, counters_.events_accepted,
                counters_.rejected_event_by_ingest, device_id, message, stop);
}

bool MessageDispatcher::PublishBulk(const InboundMessage& message,
                                    int64_t device_id, absl::string_view label,
                                    BatchResult::Stop* stop) {
  BulkInput bulk;
  bulk.device_id = device_id;
  bulk.label = label;
  bulk.msgpack_payload = message.payload;
  source_.Reset(message.topic, message.payload);
  bulk.source = &source_;
  const absl::optional<IngestResult> result = backpressure_.Publish(
      [&] { return ingest_.PublishBulk(bulk, Caller{}); });
  return Finish(result, counters_.bulk_accepted,
                counters_.rejected_bulk_by_ingest, device_id, message, stop);
}

MessageSource& MessageDispatcher::EventSource(size_t k) {
  while (event_sources_.size() <= k) {
    event_sources_.push_back(std::make_unique<MessageSource>());
  }
  return *event_sources_[k];
}

bool MessageDispatcher::Finish(const absl::optional<IngestResult>& result,
                               MqttCounters::Counter& accepted,
                               MqttCounters::Counter& refused,
                               int64_t device_id, const InboundMessage& message,
                               BatchResult::Stop* stop) {
  if (!result) {
    *stop = BatchResult::Stop::kStopping;
    return false;
  }
  if (IsStoreFailure(*result)) {
    counters_.commit_refused.fetch_add(1, std::memory_order_relaxed);
    *stop = BatchResult::Stop::kStoreFailed;
    return false;
  }
  Settle(*result, accepted, refused, device_id, message.topic,
         message.payload);
  return true;
}

bool MessageDispatcher::HandleMapped(const TopicMapping& mapping,
                                     const InboundMessage& message,
                                     BatchResult::Stop* stop) {
  source_.Reset(message.topic, message.payload);
  int64_t device_id = 0;  // none: only records may go without
  if (mapping.device_id) {
    auto id = ExpandDeviceId(*mapping.device_id, source_, expanded_);
    if (!id.ok()) {
      Reject(counters_.rejected_mapping, 0, message.topic,
             id.status().message(), message.payload);
      return true;
    }
    device_id = *id;
  }
  if (mapping.as == TopicMapping::As::kRecord) {
    return HandleMappedRecord(mapping, device_id, message, stop);
  }
  return HandleMappedEvent(mapping, device_id, message, stop);
}

bool MessageDispatcher::HandleMappedRecord(const TopicMapping& mapping,
                                           int64_t device_id,
                                           const InboundMessage& message,
                                           BatchResult::Stop* stop) {
  // The payload is the record, byte for byte.
  record_.assign(message.payload.data(), message.payload.size());
  const std::string* records[] = {&record_};
  BulkInput bulk;
  bulk.device_id = device_id;
  bulk.label = mapping.label;
  bulk.records = records;
  bulk.source = &source_;
  const absl::optional<IngestResult> result = backpressure_.Publish(
      [&] { return ingest_.PublishBulk(bulk, Caller{}); });
  return Finish(result, counters_.bulk_accepted,
                counters_.rejected_bulk_by_ingest, device_id, message, stop);
}

bool MessageDispatcher::HandleMappedEvent(const TopicMapping& mapping,
                                          int64_t device_id,
                                          const InboundMessage& message,
                                          BatchResult::Stop* stop) {
  // As on MODE's topics, the payload is checked before the registry.
  EventRejection why = EventRejection::kNone;
  absl::StatusOr<absl::string_view> data = source_.ObjectText(&why);
  if (!data.ok()) {
    Reject(EventCounter(counters_, why), device_id, message.topic,
           data.status().message(), message.payload);
    return true;
  }
  event_type_.clear();
  const TemplateSegment* missing = nullptr;
  if (!mapping.event_type->Expand(source_, event_type_, &missing)) {
    Reject(counters_.rejected_mapping, device_id, message.topic,
           absl::StrCat("event_type ", Template::MissingReason(*missing)),
           message.payload);
    return true;
  }
  if (event_type_.empty()) {
    Reject(counters_.rejected_mapping, device_id, message.topic,
           absl::StrCat("event_type ", mapping.event_type->text(),
                        " gave an empty event type"),
           message.payload);
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
  return Finish(result, counters_.events_accepted,
                counters_.rejected_event_by_ingest, device_id, message, stop);
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
    case IngestReason::kAccepted:  // store failures never get here
    case IngestReason::kFull:
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
