// Fuzz target: what the MQTT adapter does with an untrusted message — the
// topic (adapters/mqtt/topic.h) and the JSON event payload
// (adapters/mqtt/event_payload.h). The input is "topic\npayload"; without a
// newline the whole input is both the topic and the payload.
//
// Invariants checked:
//  - an accepted topic is exactly the canonical spelling of what it parsed
//    to (so one device has one topic, as the broker ACL relies on);
//  - an accepted device id prints back as the same text;
//  - an accepted payload agrees with an independent simdjson parse of the
//    original bytes (it is a JSON object whose first "eventType" is the same
//    non-empty string, and whose first "eventData" is an object), and its
//    eventData text is compact JSON of an object; a rejected payload says
//    which rule failed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "adapters/mqtt/event_payload.h"
#include "adapters/mqtt/topic.h"
#include "simdjson.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

void CheckTopic(absl::string_view topic) {
  auto parsed = streamgate::ParseDeviceTopic(topic);
  if (parsed.ok()) {
    FUZZ_CHECK(parsed->device_id > 0, "device ids are positive");
    const std::string canonical =
        parsed->kind == streamgate::DeviceTopic::Kind::kEvent
            ? absl::StrCat("/devices/", parsed->device_id, "/event")
            : absl::StrCat("/devices/", parsed->device_id, "/bulkData/",
                           parsed->label);
    FUZZ_CHECK(canonical == topic, "an accepted topic is canonical");
    if (parsed->kind == streamgate::DeviceTopic::Kind::kBulk) {
      FUZZ_CHECK(!parsed->label.empty(), "bulk labels are not empty");
      FUZZ_CHECK(parsed->label.find('/') == absl::string_view::npos,
                 "bulk labels have no '/'");
    }
  }
  // The id alone: the segment after the prefix, or the whole topic.
  absl::string_view id_text = topic;
  if (id_text.size() > 9 && id_text.substr(0, 9) == "/devices/") {
    id_text = id_text.substr(9, id_text.find('/', 9) - 9);
  }
  auto id = streamgate::ParseDeviceId(id_text);
  if (id.ok()) {
    FUZZ_CHECK(*id > 0, "device ids are positive");
    FUZZ_CHECK(absl::StrCat(*id) == id_text, "an accepted id is canonical");
  }
}

void CheckPayload(absl::string_view payload) {
  // One parser for the whole run, as the adapter keeps one per thread: this
  // also exercises its buffer reuse across messages of different sizes.
  static auto* parser = new streamgate::EventPayloadParser();
  static auto* reference = new simdjson::dom::parser();
  streamgate::EventRejection rejection = streamgate::EventRejection::kNone;
  auto event = parser->Parse(payload, &rejection);

  // What an independent parse of the original bytes says.
  simdjson::padded_string padded(payload.data(), payload.size());
  simdjson::dom::element root;
  const bool json_ok = reference->parse(padded).get(root) == simdjson::SUCCESS;
  simdjson::dom::object object;
  const bool is_object = json_ok && root.get(object) == simdjson::SUCCESS;

  if (!event.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(event.status()),
               "a bad payload is INVALID_ARGUMENT, never INTERNAL");
    FUZZ_CHECK(rejection != streamgate::EventRejection::kNone,
               "a rejection names its rule");
    if (rejection == streamgate::EventRejection::kInvalidJson) {
      FUZZ_CHECK(!json_ok, "valid JSON was rejected as invalid");
    } else {
      FUZZ_CHECK(json_ok, "invalid JSON was not rejected as such");
    }
    if (rejection == streamgate::EventRejection::kNotObject) {
      FUZZ_CHECK(!is_object, "an object was rejected as not an object");
    }
    return;
  }
  FUZZ_CHECK(rejection == streamgate::EventRejection::kNone,
             "an accepted payload has no rejection");
  FUZZ_CHECK(is_object, "an accepted payload is a JSON object");
  std::string_view type;
  FUZZ_CHECK(object.at_key("eventType").get(type) == simdjson::SUCCESS,
             "an accepted payload has a string eventType");
  FUZZ_CHECK(!type.empty(), "eventType is not empty");
  FUZZ_CHECK(absl::string_view(type.data(), type.size()) == event->event_type,
             "eventType matches the original's first eventType");

  simdjson::dom::element data;
  const bool has_data = object.at_key("eventData").get(data) == simdjson::SUCCESS;
  FUZZ_CHECK(has_data == !event->data_json.empty(),
             "eventData text present exactly when eventData is");
  if (!has_data) return;
  FUZZ_CHECK(data.is_object(), "eventData is an object");
  const absl::string_view text = event->data_json;
  FUZZ_CHECK(text.front() == '{' && text.back() == '}',
             "eventData text is an object");
  // Compact: minifying it again changes nothing.
  std::string again(text.size(), '\0');
  size_t len = 0;
  FUZZ_CHECK(simdjson::minify(text.data(), text.size(), again.data(), len) ==
                 simdjson::SUCCESS,
             "eventData text minifies");
  FUZZ_CHECK(absl::string_view(again.data(), len) == text,
             "eventData text is already compact");
  // And it is the same value: equal element counts and same serialization.
  simdjson::padded_string data_padded(text.data(), text.size());
  simdjson::dom::parser data_parser;
  simdjson::dom::element reparsed;
  FUZZ_CHECK(data_parser.parse(data_padded).get(reparsed) == simdjson::SUCCESS,
             "eventData text is valid JSON");
  FUZZ_CHECK(simdjson::minify(reparsed) == simdjson::minify(data),
             "eventData text is the original eventData value");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nl = input.find('\n');
  if (nl == absl::string_view::npos) {
    CheckTopic(input);
    CheckPayload(input);
  } else {
    CheckTopic(input.substr(0, nl));
    CheckPayload(input.substr(nl + 1));
  }
  return 0;
}
