// MessageDispatcher: what the MQTT adapter does with one PUBLISH. On MODE's
// topics the topic names the device and the kind (adapters/mqtt/topic.h):
// an event payload is validated (adapters/mqtt/event_payload.h) and
// published as one EventInput, bulk data as one BulkInput with its
// MessagePack payload. Any other topic goes to the first matching
// mqtt.mappings entry (adapters/mqtt/topic_mapping.h): its payload becomes
// one record under the mapping's label, or the eventData of an event whose
// type and device its templates give. Everything goes through Backpressure,
// with the message as the InputSource of partition-key templates. Events of devices the registry does not know
// are refused by Ingest itself (IngestReason::kUnknownDevice) unless a
// default_home_id (top-level, or mqtt.default_home_id) is set; their bulk
// data needs no home and is accepted (the gateway-wide rule). A message refused for good (bad topic, bad payload, unknown
// device, refused by Ingest) is counted by reason, logged at ERROR with its
// device, topic and reason (escaped: they come from the device), reported
// to DoorRejects with the raw payload, and then acknowledged.
//
// Threading: Dispatch runs on the session's loop thread only (it reuses
// one EventPayloadParser).
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"
#include "adapters/mqtt/backpressure.h"
#include "adapters/mqtt/config.h"
#include "adapters/mqtt/event_payload.h"
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
  // (it must stay unacknowledged, for redelivery).
  bool Dispatch(absl::string_view topic, absl::string_view payload);

 private:
  bool HandleEvent(absl::string_view topic, int64_t device_id,
                   absl::string_view payload);
  bool HandleBulk(absl::string_view topic, int64_t device_id,
                  absl::string_view label, absl::string_view payload);
  bool HandleMapped(const TopicMapping& mapping, absl::string_view topic,
                    absl::string_view payload);
  bool HandleMappedRecord(const TopicMapping& mapping, int64_t device_id,
                          absl::string_view topic, absl::string_view payload);
  bool HandleMappedEvent(const TopicMapping& mapping, int64_t device_id,
                         absl::string_view topic, absl::string_view payload);
  // Counts an Ingest answer other than kFull/kUnavailable: accepted into
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
  MessageSource source_;   // the message being dispatched
  std::string expanded_;   // a mapping template's value (reused)
  std::string event_type_;  // a mapped event's type (reused)
  std::string record_;     // a mapped record's bytes (reused)
};

}  // namespace streamgate
