#include "gateway/common/template.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace streamgate {
namespace {

// Bounds so a config cannot ask for absurd work per message.
constexpr int kMaxTopicLevel = 255;
constexpr size_t kMaxFieldName = 256;

struct Named {
  absl::string_view name;
  TemplateVar var;
};
constexpr Named kNamed[] = {
    {"topic()", TemplateVar::kTopic},
    {"newuuid()", TemplateVar::kNewUuid},
    {"device_id", TemplateVar::kDeviceId},
    {"home_id", TemplateVar::kHomeId},
    {"label", TemplateVar::kLabel},
    {"event_type", TemplateVar::kEventType},
};

absl::Status Bad(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// The variables of `allowed` in their ${...} spelling, for messages.
std::string AllowedList(std::initializer_list<TemplateVar> allowed) {
  std::string out;
  for (TemplateVar v : allowed) {
    TemplateSegment s;
    s.var = v;
    s.level = 1;
    s.text = "FIELD";
    if (v == TemplateVar::kTopicLevel) {
      absl::StrAppend(&out, out.empty() ? "" : ", ", "${topic(N)}");
    } else if (v != TemplateVar::kLiteral) {
      absl::StrAppend(&out, out.empty() ? "" : ", ", VariableText(s));
    }
  }
  return out;
}

// Parses the text between "${" and "}".
absl::StatusOr<TemplateSegment> ParseVariable(absl::string_view body) {
  TemplateSegment s;
  for (const Named& n : kNamed) {
    if (body == n.name) {
      s.var = n.var;
      return s;
    }
  }
  if (absl::StartsWith(body, "payload.")) {
    absl::string_view field = body.substr(8);
    if (field.empty()) return Bad("${payload.}: the field name is missing");
    if (field.size() > kMaxFieldName) {
      return Bad(absl::StrCat("${payload.FIELD}: field names are at most ",
                              kMaxFieldName, " characters"));
    }
    if (absl::StrContains(field, '.')) {
      return Bad(absl::StrCat("${", body,
                              "}: only top-level payload fields are "
                              "supported (no nesting)"));
    }
    s.var = TemplateVar::kPayloadField;
    s.text = std::string(field);
    return s;
  }
  if (absl::StartsWith(body, "topic(") && absl::EndsWith(body, ")")) {
    absl::string_view n = body.substr(6, body.size() - 7);
    int level = 0;
    const bool digits =
        !n.empty() && std::all_of(n.begin(), n.end(), [](char c) {
          return absl::ascii_isdigit(static_cast<unsigned char>(c));
        });
    if (!digits || n.size() > 3 || !absl::SimpleAtoi(n, &level) || level < 1 ||
        level > kMaxTopicLevel) {
      return Bad(absl::StrCat("${", body, "}: the topic level must be 1..",
                              kMaxTopicLevel));
    }
    s.var = TemplateVar::kTopicLevel;
    s.level = level;
    return s;
  }
  if (body == "clientid()" || body == "clientid") {
    return Bad(absl::StrCat(
        "${", body,
        "} is not available: the gateway is an MQTT subscriber and the "
        "broker does not tell subscribers the publisher's client id"));
  }
  return Bad(absl::StrCat("${", body, "} is not a known variable"));
}

}  // namespace

Template Template::Literal(absl::string_view text) {
  Template t;
  t.text_ = std::string(text);
  if (!text.empty()) {
    TemplateSegment s;
    s.text = t.text_;
    t.segments_.push_back(std::move(s));
  }
  return t;
}

absl::StatusOr<Template> Template::Parse(
    absl::string_view text, std::initializer_list<TemplateVar> allowed) {
  Template t;
  t.text_ = std::string(text);
  std::string literal;
  auto flush = [&] {
    if (literal.empty()) return;
    TemplateSegment s;
    s.text = std::move(literal);
    literal.clear();
    t.segments_.push_back(std::move(s));
  };
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find("${", pos);
    if (open == absl::string_view::npos) {
      literal.append(text.data() + pos, text.size() - pos);
      break;
    }
    literal.append(text.data() + pos, open - pos);
    const size_t close = text.find('}', open + 2);
    if (close == absl::string_view::npos) {
      return Bad(absl::StrCat("unclosed '${' at character ", open + 1));
    }
    absl::string_view body = text.substr(open + 2, close - open - 2);
    auto segment = ParseVariable(body);
    if (!segment.ok()) return segment.status();
    if (std::find(allowed.begin(), allowed.end(), segment->var) ==
        allowed.end()) {
      return Bad(absl::StrCat("${", body, "} is not available here (allowed: ",
                              AllowedList(allowed), ")"));
    }
    flush();
    t.segments_.push_back(*std::move(segment));
    pos = close + 1;
  }
  flush();
  return t;
}

bool Template::Expand(const TemplateScope& scope, std::string& out,
                      const TemplateSegment** missing) const {
  for (const TemplateSegment& s : segments_) {
    if (s.var == TemplateVar::kLiteral) {
      out.append(s.text);
    } else if (!scope.Append(s, out)) {
      if (missing != nullptr) *missing = &s;
      return false;
    }
  }
  return true;
}

std::string Template::MissingReason(const TemplateSegment& s) {
  const std::string name = VariableText(s);
  switch (s.var) {
    case TemplateVar::kTopic:
      return absl::StrCat(name, ": the input did not come from an MQTT topic");
    case TemplateVar::kTopicLevel:
      return absl::StrCat(name, ": the topic has fewer than ", s.level,
                          " levels (or the input did not come from MQTT)");
    case TemplateVar::kPayloadField:
      return absl::StrCat(name,
                          ": the payload is not a JSON object with a string, "
                          "number or boolean field '",
                          s.text, "'");
    case TemplateVar::kDeviceId:
      return absl::StrCat(name, ": the input has no device id");
    case TemplateVar::kHomeId:
      return absl::StrCat(name, ": the input's home is not known");
    case TemplateVar::kLabel:
      return absl::StrCat(name, ": the input is not bulk data");
    case TemplateVar::kEventType:
      return absl::StrCat(name, ": the input is not an event");
    case TemplateVar::kNewUuid:
    case TemplateVar::kLiteral:
      break;
  }
  return absl::StrCat(name, ": no value");
}

bool Template::Uses(TemplateVar var) const {
  return std::any_of(segments_.begin(), segments_.end(),
                     [var](const TemplateSegment& s) { return s.var == var; });
}

bool Template::literal() const {
  return std::all_of(
      segments_.begin(), segments_.end(),
      [](const TemplateSegment& s) { return s.var == TemplateVar::kLiteral; });
}

std::string VariableText(const TemplateSegment& s) {
  switch (s.var) {
    case TemplateVar::kLiteral:
      return s.text;
    case TemplateVar::kTopic:
      return "${topic()}";
    case TemplateVar::kTopicLevel:
      return absl::StrCat("${topic(", s.level, ")}");
    case TemplateVar::kPayloadField:
      return absl::StrCat("${payload.", s.text, "}");
    case TemplateVar::kNewUuid:
      return "${newuuid()}";
    case TemplateVar::kDeviceId:
      return "${device_id}";
    case TemplateVar::kHomeId:
      return "${home_id}";
    case TemplateVar::kLabel:
      return "${label}";
    case TemplateVar::kEventType:
      return "${event_type}";
  }
  return "";
}

bool TopicLevel(absl::string_view topic, int n, absl::string_view& out) {
  size_t start = 0;
  for (int level = 1; level < n; ++level) {
    const size_t slash = topic.find('/', start);
    if (slash == absl::string_view::npos) return false;
    start = slash + 1;
  }
  const size_t end = topic.find('/', start);
  out = topic.substr(start, end == absl::string_view::npos
                                ? absl::string_view::npos
                                : end - start);
  return true;
}

size_t Utf8Length(absl::string_view text) {
  size_t n = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace streamgate
