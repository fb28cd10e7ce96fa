// MessageDispatcher: what the MQTT adapter does with one PUBLISH. On MODE's
// topics the topic names the device and the kind (adapters/mqtt/topic.h):
// an event payload is validated (adapters/mqtt/event_payload.h) and
// published as one EventInput, bulk data as one BulkInput with its
// MessagePack payload. Any other topic goes to the first matching
// mqtt.mappings entry (adapters/mqtt/topic_mapping.h): its payload becomes
// one record under the mapping's label, or the eventData of an event whose
// type and device its templates give. Everything goes through Backpressure,
// with the message as the InputSource of partition-key templates. Events
// of devices the registry does not know are refused by Ingest itself
// (IngestReason::kUnknownDevice) unless a default_home_id (top-level, or
// mqtt.default_home_id) is set; their bulk data needs no home and is
// accepted (the gateway-wide rule). A message refused for good (bad topic,
// bad payload, unknown
// device, refused by Ingest) is counted by reason, logged at ERROR with its
// device, topic and reason (escaped: they come from the device), reported
// to DoorRejects with the raw payload, and then acknowledged.
//
// Batches: DispatchBatch takes every PUBLISH of one socket read. Its events
// go to Ingest as one PublishEvents call (one queue submission, one spool
// commit); bulk data and mapped messages, which go one at a time, split
// the run of events around them. Ingest refuses a batch whole when one event is
// bad, so a refused batch is published again event by event to find and
// reject that one. A store failure (a spool that cannot commit) is not a
// rejection: the batch stops there unsettled, for the broker to redeliver.
//
// Threading: Dispatch runs on the session's loop thread only (it reuses
// one EventPayloadParser).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "absl/types/span.h"
#include "adapters/mqtt/backpressure.h"
#include "adapters/mqtt/config.h"
#include "adapters/mqtt/event_payload.h"
#include "adapters/mqtt/inbound_batch.h"
#include "adapters/mqtt/message_source.h"
#include "adapters/mqtt/mqtt_counters.h"
#include "gateway/api/ingest.h"
#include "gateway/api/rejects.h"

namespace streamgate {

class MessageDispatcher {
 public:
  // Everything must outlive the dispatcher.
  MessageDispatcher(const MqttConfig& config, Ingest& ingest,
                    DoorRejects& rejects, MqttCounters& counters,
                    Backpressure& backpressure);
  MessageDispatcher(const MessageDispatcher&) = delete;
  MessageDispatcher& operator=(const MessageDispatcher&) = delete;

  // Accepts or rejects the message for good and returns true (acknowledge
  // it); false when the adapter stopped while the message waited for room
  // or its commit failed (it must stay unacknowledged, for redelivery).
  bool Dispatch(absl::string_view topic, absl::string_view payload);

  // Settles `batch` in order, as above; see BatchResult.
  BatchResult DispatchBatch(absl::Span<const InboundMessage> batch);

 private:
  // An event of the current run: its message's index in the batch and the
  // parsed fields, as offsets into arena_ (the parser reuses its buffers).
  struct PendingEvent {
    size_t index;
    int64_t device_id;
    size_t type_at, type_size, data_at, data_size;
  };

  // Publishes the run of events in pending_ as one Ingest call (and event by
  // event when Ingest refuses the run). Returns the result to give up with,
  // its `settled` naming the first unsettled message; nullopt when all of
  // them are settled.
  absl::optional<BatchResult> FlushEvents(
      absl::Span<const InboundMessage> batch);
  // One event of the run, published alone; false when it must stay
  // unsettled (`*stop` says why).
  bool PublishOneEvent(const InboundMessage& message, const EventInput& event,
                       int64_t device_id, BatchResult::Stop* stop);
  // The outcome of one bulk message; false when it must stay unsettled.
  bool PublishBulk(const InboundMessage& message, int64_t device_id,
                   absl::string_view label, BatchResult::Stop* stop);
  // A message on an mqtt.mappings topic (source_ is reset to it), likewise.
  bool HandleMapped(const TopicMapping& mapping, const InboundMessage& message,
                    BatchResult::Stop* stop);
  bool HandleMappedRecord(const TopicMapping& mapping, int64_t device_id,
                          const InboundMessage& message,
                          BatchResult::Stop* stop);
  bool HandleMappedEvent(const TopicMapping& mapping, int64_t device_id,
                         const InboundMessage& message,
                         BatchResult::Stop* stop);
  // Settles the answer of a single-input publish: false (with `*stop`) when
  // the adapter stopped or the store failed, else counts it (Settle).
  bool Finish(const absl::optional<IngestResult>& result,
              MqttCounters::Counter& accepted, MqttCounters::Counter& refused,
              int64_t device_id, const InboundMessage& message,
              BatchResult::Stop* stop);
  // The InputSource of the k-th event of the current run (pooled).
  MessageSource& EventSource(size_t k);
  // Counts an Ingest answer that settles its input: accepted into
  // `accepted`, a refusal of the input itself into `refused`.
  void Settle(const IngestResult& result, MqttCounters::Counter& accepted,
              MqttCounters::Counter& refused, int64_t device_id,
              absl::string_view topic, absl::string_view payload);
  // Counts, logs and reports to rejects_ (with the raw payload).
  void Reject(MqttCounters::Counter& counter, int64_t device_id,
              absl::string_view topic, absl::string_view reason,
              absl::string_view payload);

  const MqttConfig& config_;
  Ingest& ingest_;
  DoorRejects& rejects_;
  MqttCounters& counters_;
  Backpressure& backpressure_;
  EventPayloadParser event_parser_;
  // Reused across batches.
  std::vector<PendingEvent> pending_;
  std::vector<EventInput> inputs_;
  std::string arena_;
  // One source per pending event (partition-key templates read its topic
  // and payload), and one for a bulk or mapped message.
  std::vector<std::unique_ptr<MessageSource>> event_sources_;
  MessageSource source_;
  std::string expanded_;    // a mapping template's value
  std::string event_type_;  // a mapped event's type
  std::string record_;      // a mapped record's bytes
};

}  // namespace streamgate
