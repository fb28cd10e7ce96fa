// Fuzz target: what a generic topic mapping does with an untrusted message —
// topic-filter matching and topic levels (adapters/mqtt/topic_mapping.h,
// gateway/common/template.h) and the payload as template values and as a
// mapped event's eventData (adapters/mqtt/message_source.h). The input is
// "topic\npayload"; without a newline the whole input is both.
//
// Invariants checked:
//  - the levels TopicLevel returns, joined with '/', are the topic again;
//  - '#' matches every topic not starting with '$'; a valid filter without
//    wildcards matches exactly itself;
//  - ObjectText accepts exactly the payloads an independent simdjson parse
//    finds to be an object, and gives compact text that parses to an object
//    and minifies to itself;
//  - payload field look-ups agree with that parse (present and scalar, or
//    not).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "adapters/mqtt/message_source.h"
#include "adapters/mqtt/topic_mapping.h"
#include "gateway/common/template.h"
#include "simdjson.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

void CheckTopic(absl::string_view topic) {
  std::string joined;
  absl::string_view level;
  int n = 1;
  for (; n <= 300 && streamgate::TopicLevel(topic, n, level); ++n) {
    if (n > 1) joined.push_back('/');
    joined.append(level.data(), level.size());
  }
  if (n <= 300) FUZZ_CHECK(joined == topic, "levels join back to the topic");
  if (topic.empty() || topic[0] != '$') {
    FUZZ_CHECK(streamgate::TopicMatches("#", topic), "'#' matches every topic");
  }
  if (streamgate::TopicFilterError(topic).empty() &&
      topic.find_first_of("+#") == absl::string_view::npos) {
    FUZZ_CHECK(streamgate::TopicMatches(topic, topic),
               "a plain filter matches itself");
    const std::string longer = absl::StrCat(topic, "/x");
    FUZZ_CHECK(!streamgate::TopicMatches(topic, longer),
               "a plain filter does not match a longer topic");
  }
}

void CheckPayload(absl::string_view topic, absl::string_view payload) {
  static auto* source = new streamgate::MessageSource();
  static auto* parser = new simdjson::dom::parser();
  source->Reset(topic, payload);
  const std::string copy(payload);
  simdjson::dom::element root;
  const bool json = parser->parse(copy).get(root) == simdjson::SUCCESS;
  const bool object = json && root.is_object();

  for (absl::string_view name : {"a", "deviceid", "eventType", ""}) {
    std::string out;
    const bool found = source->AppendPayloadField(name, out);
    bool scalar = false;
    if (object) {
      simdjson::dom::element v;
      if (root.get_object()
              .value_unsafe()
              .at_key(std::string_view(name.data(), name.size()))
              .get(v) == simdjson::SUCCESS) {
        scalar = !v.is_null() && !v.is_array() && !v.is_object();
      }
    }
    FUZZ_CHECK(found == scalar, "field look-ups agree with the parse");
  }

  streamgate::EventRejection why = streamgate::EventRejection::kNone;
  auto text = source->ObjectText(&why);
  FUZZ_CHECK(text.ok() == object, "ObjectText accepts exactly objects");
  if (!text.ok()) {
    FUZZ_CHECK(why == streamgate::EventRejection::kInvalidJson ||
                   why == streamgate::EventRejection::kNotObject,
               "a refusal says which rule failed");
    return;
  }
  const std::string compact(*text);
  simdjson::dom::element again;
  FUZZ_CHECK(parser->parse(compact).get(again) == simdjson::SUCCESS &&
                 again.is_object(),
             "eventData text is a JSON object");
  std::string minified(compact.size(), '\0');
  size_t len = 0;
  FUZZ_CHECK(simdjson::minify(compact.data(), compact.size(), minified.data(),
                              len) == simdjson::SUCCESS,
             "eventData text minifies");
  minified.resize(len);
  FUZZ_CHECK(minified == compact, "eventData text is compact");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nl = input.find('\n');
  const absl::string_view topic =
      nl == absl::string_view::npos ? input : input.substr(0, nl);
  const absl::string_view payload =
      nl == absl::string_view::npos ? input : input.substr(nl + 1);
  CheckTopic(topic);
  CheckPayload(topic, payload);
  return 0;
}
