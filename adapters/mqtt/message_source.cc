#include "adapters/mqtt/message_source.h"

#include <cstring>
#include <new>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace streamgate {

void MessageSource::Reset(absl::string_view topic, absl::string_view payload) {
  topic_ = topic;
  payload_ = payload;
  state_ = State::kUnparsed;
  parse_error_ = "";
}

MessageSource::State MessageSource::Parse() const {
  if (state_ != State::kUnparsed) return state_;
  const size_t needed = payload_.size() + simdjson::SIMDJSON_PADDING;
  if (needed > capacity_) {
    buffer_.reset(new (std::nothrow) char[needed]);
    capacity_ = buffer_ ? needed : 0;
    if (!buffer_) {
      parse_error_ = "out of memory for the payload";
      return state_ = State::kInvalid;
    }
  }
  // Our own padded copy: simdjson reads past the end.
  std::memcpy(buffer_.get(), payload_.data(), payload_.size());
  std::memset(buffer_.get() + payload_.size(), 0, simdjson::SIMDJSON_PADDING);
  simdjson::dom::element root;
  if (auto err =
          parser_.parse(buffer_.get(), payload_.size(), false).get(root)) {
    parse_error_ = simdjson::error_message(err);
    return state_ = State::kInvalid;
  }
  if (root.get(object_) != simdjson::SUCCESS) return state_ = State::kNotObject;
  return state_ = State::kObject;
}

bool MessageSource::AppendPayloadField(absl::string_view name,
                                       std::string& out) const {
  if (Parse() != State::kObject) return false;
  simdjson::dom::element value;
  // First match wins for duplicate keys, as for MODE event payloads.
  if (object_.at_key(std::string_view(name.data(), name.size())).get(value) !=
      simdjson::SUCCESS) {
    return false;
  }
  switch (value.type()) {
    case simdjson::dom::element_type::STRING: {
      std::string_view s = value.get_string().value_unsafe();
      out.append(s.data(), s.size());
      return true;
    }
    case simdjson::dom::element_type::INT64:
      absl::StrAppend(&out, value.get_int64().value_unsafe());
      return true;
    case simdjson::dom::element_type::UINT64:
      absl::StrAppend(&out, value.get_uint64().value_unsafe());
      return true;
    case simdjson::dom::element_type::DOUBLE:
      // simdjson's shortest round-trip spelling (the device's own digits
      // are not kept by the DOM).
      out.append(simdjson::to_string(value));
      return true;
    case simdjson::dom::element_type::BOOL:
      out.append(value.get_bool().value_unsafe() ? "true" : "false");
      return true;
    case simdjson::dom::element_type::NULL_VALUE:
    case simdjson::dom::element_type::ARRAY:
    case simdjson::dom::element_type::OBJECT:
      break;
  }
  return false;
}

bool MessageSource::Append(const TemplateSegment& s, std::string& out) const {
  switch (s.var) {
    case TemplateVar::kTopic:
      out.append(topic_.data(), topic_.size());
      return true;
    case TemplateVar::kTopicLevel: {
      absl::string_view level;
      if (!TopicLevel(topic_, s.level, level)) return false;
      out.append(level.data(), level.size());
      return true;
    }
    case TemplateVar::kPayloadField:
      return AppendPayloadField(s.text, out);
    case TemplateVar::kLiteral:
      out.append(s.text);
      return true;
    default:
      return false;  // not allowed in mappings (refused at config load)
  }
}

absl::StatusOr<absl::string_view> MessageSource::ObjectText(
    EventRejection* rejection) {
  switch (Parse()) {
    case State::kInvalid:
      *rejection = EventRejection::kInvalidJson;
      return absl::InvalidArgumentError(
          absl::StrCat("payload is not valid JSON: ", parse_error_));
    case State::kNotObject:
      *rejection = EventRejection::kNotObject;
      return absl::InvalidArgumentError("payload is not a JSON object");
    case State::kObject:
    case State::kUnparsed:
      break;
  }
  // Validated above, so minify only drops whitespace outside strings.
  compact_.resize(payload_.size());
  size_t len = 0;
  if (simdjson::minify(payload_.data(), payload_.size(), compact_.data(),
                       len) != simdjson::SUCCESS) {
    *rejection = EventRejection::kInvalidJson;
    return absl::InvalidArgumentError("payload is not valid JSON");
  }
  compact_.resize(len);
  return absl::string_view(compact_);
}

}  // namespace streamgate
