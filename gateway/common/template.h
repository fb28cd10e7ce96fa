// Template: the one substitution language of the gateway, shared by MQTT
// topic mappings (device_id, event_type) and module partition keys. A
// template is literal text with ${...} variables, in the spelling of AWS IoT
// Core rules: ${topic()}, ${topic(N)} (1-based level), ${payload.FIELD}
// (top-level field of a JSON payload), ${newuuid()}, and the input's
// ${device_id}, ${home_id}, ${label}, ${event_type}. Each use allows a
// subset; ${clientid} is refused with the reason (a subscriber never learns
// the publisher's client id).
//
// A template is parsed once at config load into segments; Expand walks them
// and appends to the caller's string, asking a TemplateScope for variable
// values: no regex, no allocation beyond the result string on success.
//
// Threading: a parsed Template is immutable; Expand may run on any thread at
// once. A TemplateScope is used by the thread that made it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace streamgate {

enum class TemplateVar : uint8_t {
  kLiteral,       // not a variable: `text` as is
  kTopic,         // ${topic()}: the whole topic
  kTopicLevel,    // ${topic(N)}: level N (1-based)
  kPayloadField,  // ${payload.FIELD}
  kNewUuid,       // ${newuuid()}: a fresh UUIDv4
  kDeviceId,      // ${device_id}
  kHomeId,        // ${home_id}
  kLabel,         // ${label}
  kEventType,     // ${event_type}
};

struct TemplateSegment {
  TemplateVar var = TemplateVar::kLiteral;
  int level = 0;     // kTopicLevel
  std::string text;  // kLiteral: the text; kPayloadField: the field name
};

// Supplies variable values to Template::Expand.
class TemplateScope {
 public:
  virtual ~TemplateScope() = default;
  // Appends the value of the variable `segment` names to `out`; false when
  // this input has none (topic too short, field absent, no device, ...).
  virtual bool Append(const TemplateSegment& segment,
                      std::string& out) const = 0;
};

class Template {
 public:
  // A template of literal text only.
  static Template Literal(absl::string_view text);
  // Parses `text`, allowing only the variables in `allowed`. The error is
  // INVALID_ARGUMENT with the reason only; callers prefix the field.
  static absl::StatusOr<Template> Parse(
      absl::string_view text, std::initializer_list<TemplateVar> allowed);

  // Appends the expansion to `out`. On a variable with no value: false, and
  // `*missing` (when given) points at that variable's segment.
  bool Expand(const TemplateScope& scope, std::string& out,
              const TemplateSegment** missing = nullptr) const;

  // Why `segment` had no value, in words, for a rejection reason.
  static std::string MissingReason(const TemplateSegment& segment);

  bool Uses(TemplateVar var) const;
  bool literal() const;  // no variables
  const std::string& text() const { return text_; }
  const std::vector<TemplateSegment>& segments() const { return segments_; }

 private:
  std::string text_;  // as written, for messages
  std::vector<TemplateSegment> segments_;
};

// ${...} spelling of a variable segment ("${topic(2)}"), for messages.
std::string VariableText(const TemplateSegment& segment);

// Level `n` (1-based) of an MQTT topic, or false when it has fewer levels.
// Levels are split on '/'; "/a" has an empty level 1 and "a" as level 2.
bool TopicLevel(absl::string_view topic, int n, absl::string_view& out);

// Unicode code points in UTF-8 text (continuation bytes are not counted).
size_t Utf8Length(absl::string_view text);

}  // namespace streamgate
