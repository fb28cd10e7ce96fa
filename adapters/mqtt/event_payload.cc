#include "adapters/mqtt/event_payload.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace streamgate {
namespace {

// simdjson speaks std::string_view; the gateway speaks absl::string_view.
constexpr std::string_view kEventType = "eventType";
constexpr std::string_view kEventData = "eventData";

absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

absl::Status Reject(EventRejection reason, EventRejection* out,
                    absl::string_view message) {
  if (out != nullptr) *out = reason;
  return absl::InvalidArgumentError(message);
}

}  // namespace

EventPayloadParser::EventPayloadParser() { Reserve(4096); }

bool EventPayloadParser::Reserve(size_t size) {
  const size_t needed = size + simdjson::SIMDJSON_PADDING;
  if (needed <= capacity_) return true;
  buffer_.reset(new (std::nothrow) char[needed]);
  capacity_ = buffer_ ? needed : 0;
  return buffer_ != nullptr;
}

absl::StatusOr<EventPayload> EventPayloadParser::Parse(
    absl::string_view payload, EventRejection* rejection) {
  if (rejection != nullptr) *rejection = EventRejection::kNone;
  if (!Reserve(payload.size())) {
    return absl::ResourceExhaustedError("out of memory for the event payload");
  }
  // Validate the bytes as sent: simdjson::minify does not validate and
  // strips spaces even inside values ("1 2" would become "12").
  {
    simdjson::dom::element probe;
    if (auto err = dom_.parse(payload.data(), payload.size(), true).get(probe)) {
      return Reject(EventRejection::kInvalidJson, rejection,
                    absl::StrCat("payload is not valid JSON: ",
                                 simdjson::error_message(err)));
    }
  }
  // Minify so every text view below is already compact.
  size_t len = 0;
  if (simdjson::minify(payload.data(), payload.size(), buffer_.get(), len) !=
      simdjson::SUCCESS) {
    return Reject(EventRejection::kInvalidJson, rejection,
                  "payload is not valid JSON");
  }
  std::memset(buffer_.get() + len, 0, simdjson::SIMDJSON_PADDING);

  // Full validation (every value, UTF-8) and the types of the two fields.
  simdjson::dom::element root;
  if (auto err = dom_.parse(buffer_.get(), len, false).get(root)) {
    return Reject(EventRejection::kInvalidJson, rejection,
                  absl::StrCat("payload is not valid JSON: ",
                               simdjson::error_message(err)));
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) {
    return Reject(EventRejection::kNotObject, rejection,
                  "payload is not a JSON object");
  }
  EventPayload out;
  std::string_view event_type;
  simdjson::dom::element type_element;
  if (object.at_key(kEventType).get(type_element) != simdjson::SUCCESS) {
    return Reject(EventRejection::kEventType, rejection,
                  "eventType: missing");
  }
  if (type_element.get(event_type) != simdjson::SUCCESS) {
    return Reject(EventRejection::kEventType, rejection,
                  "eventType: must be a string");
  }
  if (event_type.empty()) {
    return Reject(EventRejection::kEventType, rejection,
                  "eventType: must not be empty");
  }
  out.event_type = ToAbsl(event_type);
  simdjson::dom::element data_element;
  if (object.at_key(kEventData).get(data_element) != simdjson::SUCCESS) {
    return out;  // absent: the core renders {}
  }
  if (!data_element.is_object()) {
    return Reject(EventRejection::kEventData, rejection,
                  "eventData: must be a JSON object");
  }

  // The DOM has no source positions: find the first eventData again with the
  // on-demand parser, which hands out the raw (here: minified) text.
  simdjson::ondemand::document doc;
  simdjson::ondemand::object od_object;
  if (ondemand_.iterate(buffer_.get(), len, capacity_).get(doc) ||
      doc.get_object().get(od_object)) {
    return absl::InternalError("eventData: re-reading the validated payload");
  }
  for (auto field : od_object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) break;
    if (key != kEventData) continue;
    simdjson::ondemand::object data_object;
    std::string_view raw;
    if (field.value().get_object().get(data_object) ||
        data_object.raw_json().get(raw)) {
      break;
    }
    out.data_json = ToAbsl(raw);
    return out;
  }
  return absl::InternalError("eventData: re-reading the validated payload");
}

}  // namespace streamgate
