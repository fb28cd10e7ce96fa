// MessageDispatcher: what the MQTT adapter does with one PUBLISH. The topic
// names the device and the kind (adapters/mqtt/topic.h): an event payload
// is validated (adapters/mqtt/event_payload.h) and published as one
// EventInput, bulk data as one BulkInput with its MessagePack payload, both
// through Backpressure. Devices the registry does not know are refused by
// Ingest itself (IngestReason::kUnknownDevice) unless mqtt.default_home_id
// is set. A message refused for good (bad topic, bad payload, unknown
// device, refused by Ingest) is counted by reason, logged at ERROR with its
// device, topic and reason (escaped: they come from the device), reported
// to DoorRejects with the raw payload, and then acknowledged.
//
// Batches: DispatchBatch takes every PUBLISH of one socket read. Its events
// go to Ingest as one PublishEvents call (one queue submission, one spool
// commit); bulk data, which Ingest takes one payload at a time, splits the
// run of events around it. Ingest refuses a batch whole when one event is
// bad, so a refused batch is published again event by event to find and
// reject that one. A store failure (a spool that cannot commit) is not a
// rejection: the batch stops there unsettled, for the broker to redeliver.
//
// Threading: Dispatch runs on the session's loop thread only (it reuses
// one EventPayloadParser).
#pragma once

#include <cstdint>
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
};

}  // namespace streamgate
