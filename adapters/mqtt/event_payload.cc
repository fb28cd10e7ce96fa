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

// The four JSON whitespace characters (RFC 8259 "ws"), the only bytes
// simdjson::minify removed.
bool IsJsonSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

// Walks text that simdjson has already validated as one JSON document, so
// the walker only tells tokens apart and never checks them. Text is
// NUL-padded past `end`; every loop is still bounded by `end`, so a walk
// that goes wrong stops there (and the caller reports an internal error)
// instead of reading on.
class ValidatedJsonWalker {
 public:
  ValidatedJsonWalker(char* begin, char* end) : pos_(begin), end_(end) {}

  char* pos() const { return pos_; }
  bool at_end() const { return pos_ >= end_; }
  char peek() const { return pos_ < end_ ? *pos_ : '\0'; }
  void Advance() { if (pos_ < end_) ++pos_; }

  void SkipSpace() {
    while (pos_ < end_ && IsJsonSpace(*pos_)) ++pos_;
  }

  // pos_ at a value's first byte: moves past the value. With `out` set,
  // also writes the value minus insignificant whitespace to `*out` and
  // advances it; `*out` may equal pos_ (in-place) because it never gets
  // ahead of the read position.
  void Value(char** out) {
    const char c = peek();
    if (c == '"') {
      String(out);
    } else if (c == '{' || c == '[') {
      Composite(out);
    } else {
      // Number or literal: runs to the next delimiter or whitespace.
      char* start = pos_;
      while (pos_ < end_ && *pos_ != ',' && *pos_ != '}' && *pos_ != ']' &&
             !IsJsonSpace(*pos_)) {
        ++pos_;
      }
      Emit(start, out);
    }
  }

  // pos_ at an opening quote: moves past the closing one (copying the
  // string verbatim, escapes and all).
  void String(char** out) {
    char* start = pos_;
    ++pos_;
    while (pos_ < end_) {
      // Most of a string is plain bytes: let memchr find the next quote,
      // then look back for the backslashes that would escape it.
      char* quote = static_cast<char*>(
          std::memchr(pos_, '"', static_cast<size_t>(end_ - pos_)));
      if (quote == nullptr) {
        pos_ = end_;
        break;
      }
      size_t backslashes = 0;
      for (char* p = quote - 1; p > start && *p == '\\'; --p) ++backslashes;
      pos_ = quote + 1;
      if (backslashes % 2 == 0) break;
    }
    Emit(start, out);
  }

 private:
  // pos_ at '{' or '[': moves past the matching bracket.
  void Composite(char** out) {
    int depth = 0;
    while (pos_ < end_) {
      const char c = *pos_;
      if (c == '"') {
        String(out);
        continue;
      }
      if (IsJsonSpace(c)) {
        ++pos_;
        continue;
      }
      if (out != nullptr) *(*out)++ = c;
      ++pos_;
      if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (--depth == 0) return;
      }
    }
  }

  void Emit(char* start, char** out) {
    if (out == nullptr) return;
    const size_t n = static_cast<size_t>(pos_ - start);
    if (*out != start) std::memmove(*out, start, n);
    *out += n;
  }

  char* pos_;
  char* end_;
};

// In `text` (a validated JSON object, `len` bytes), minifies the value of
// the member at `index` in place and returns its compact text; empty when
// the walk does not find it (cannot happen for text the DOM accepted).
absl::string_view MinifyMemberValue(char* text, size_t len, size_t index) {
  ValidatedJsonWalker walk(text, text + len);
  walk.SkipSpace();
  if (walk.peek() != '{') return {};
  walk.Advance();
  for (size_t member = 0;; ++member) {
    walk.SkipSpace();
    if (walk.peek() != '"') return {};
    walk.String(nullptr);  // the key
    walk.SkipSpace();
    if (walk.peek() != ':') return {};
    walk.Advance();
    walk.SkipSpace();
    if (member == index) {
      char* start = walk.pos();
      char* out = start;
      walk.Value(&out);
      return absl::string_view(start, static_cast<size_t>(out - start));
    }
    walk.Value(nullptr);
    walk.SkipSpace();
    if (walk.peek() != ',') return {};
    walk.Advance();
  }
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
  // Our own padded copy: simdjson reads past the end, and the eventData text
  // is minified in place in it afterwards.
  char* const text = buffer_.get();
  const size_t len = payload.size();
  std::memcpy(text, payload.data(), len);
  std::memset(text + len, 0, simdjson::SIMDJSON_PADDING);

  // The one full parse: every value and UTF-8 are validated on the bytes as
  // sent (the DOM keeps its unescaped strings in its own buffer, so editing
  // `text` below does not touch event_type).
  simdjson::dom::element root;
  if (auto err = dom_.parse(text, len, false).get(root)) {
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

  // The first eventData (unescaped key comparison, as at_key does), and its
  // position among the members: the DOM has no source offsets, so the text
  // is found by walking the members in the source in the same order.
  size_t index = 0;
  bool found = false;
  simdjson::dom::element data_element;
  for (simdjson::dom::key_value_pair field : object) {
    if (field.key == kEventData) {
      data_element = field.value;
      found = true;
      break;
    }
    ++index;
  }
  if (!found) return out;  // absent: the core renders {}
  if (!data_element.is_object()) {
    return Reject(EventRejection::kEventData, rejection,
                  "eventData: must be a JSON object");
  }
  out.data_json = MinifyMemberValue(text, len, index);
  if (out.data_json.empty()) {
    return absl::InternalError("eventData: re-reading the validated payload");
  }
  return out;
}

}  // namespace streamgate
