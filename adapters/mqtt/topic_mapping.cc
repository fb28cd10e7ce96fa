#include "adapters/mqtt/topic_mapping.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "adapters/mqtt/topic.h"
#include "gateway/common/status_macros.h"

namespace streamgate {
namespace {

constexpr std::initializer_list<TemplateVar> kMappingVars = {
    TemplateVar::kTopic, TemplateVar::kTopicLevel, TemplateVar::kPayloadField};

// Levels of a filter, or -1 when it ends in '#' (any number).
int FilterLevels(absl::string_view filter) {
  if (absl::EndsWith(filter, "#")) return -1;
  return static_cast<int>(std::count(filter.begin(), filter.end(), '/')) + 1;
}

// Parses a template field of a mapping; `field` is "mqtt.mappings[i].key".
absl::StatusOr<absl::optional<Template>> TemplateField(const ConfigReader& r,
                                                       absl::string_view key,
                                                       int levels) {
  ASSIGN_OR_RETURN(auto text, r.String(key));
  if (!text) return absl::optional<Template>();
  if (text->empty()) return r.Error(key, "must not be empty");
  auto t = Template::Parse(*text, kMappingVars);
  if (!t.ok()) return r.Error(key, t.status().message());
  for (const TemplateSegment& s : t->segments()) {
    if (s.var == TemplateVar::kTopicLevel && levels > 0 && s.level > levels) {
      return r.Error(
          key, absl::StrCat(VariableText(s), ": the topic filter has ", levels,
                            " levels"));
    }
  }
  return absl::optional<Template>(*std::move(t));
}

absl::StatusOr<TopicMapping> ParseMapping(
    const ConfigReader& r, const std::vector<TopicMapping>& before,
    bool mode_topics) {
  RETURN_IF_ERROR(
      r.CheckKnownKeys({"topic", "as", "label", "device_id", "event_type"}));
  TopicMapping out;
  ASSIGN_OR_RETURN(auto topic, r.String("topic"));
  if (!topic) return FieldError(r.node(), r.Field("topic"), "required");
  if (std::string why = TopicFilterError(*topic); !why.empty()) {
    return r.Error("topic", why);
  }
  if (absl::StartsWith(*topic, "$share/")) {
    return r.Error("topic",
                   "give the filter without $share/ (mqtt.shared_group "
                   "adds it to every subscription)");
  }
  for (size_t i = 0; i < before.size(); ++i) {
    if (before[i].topic == *topic) return r.Error("topic", "mapped twice");
    if (FiltersOverlap(before[i].topic, *topic)) {
      return r.Error(
          "topic",
          absl::StrCat("overlaps mappings[", i, "] ('", before[i].topic,
                       "'): the broker would deliver a message on "
                       "both twice"));
    }
  }
  if (mode_topics) {
    for (absl::string_view mode : {kEventTopicFilter, kBulkTopicFilter}) {
      if (FiltersOverlap(mode, *topic)) {
        return r.Error("topic",
                       absl::StrCat("overlaps MODE's '", mode,
                                    "' (set mode_topics: false, or narrow "
                                    "the filter)"));
      }
    }
  }
  out.topic = *topic;
  const int levels = FilterLevels(out.topic);

  ASSIGN_OR_RETURN(auto as, r.String("as"));
  if (!as)
    return FieldError(r.node(), r.Field("as"), "required (record or event)");
  if (*as == "record") {
    out.as = TopicMapping::As::kRecord;
  } else if (*as == "event") {
    out.as = TopicMapping::As::kEvent;
  } else {
    return r.Error("as", "must be record or event");
  }
  ASSIGN_OR_RETURN(out.device_id, TemplateField(r, "device_id", levels));
  if (out.device_id && out.device_id->literal()) {
    if (!ParseDeviceId(out.device_id->text()).ok()) {
      return r.Error("device_id",
                     "a fixed device id must be a positive decimal "
                     "integer");
    }
  }
  ASSIGN_OR_RETURN(auto label, r.String("label"));
  ASSIGN_OR_RETURN(out.event_type, TemplateField(r, "event_type", levels));
  if (out.as == TopicMapping::As::kRecord) {
    if (!label || label->empty()) {
      return FieldError(r.node(), r.Field("label"),
                        "required for as: record (modules take it by "
                        "bulk_data_label)");
    }
    if (out.event_type) {
      return r.Error("event_type", "only for as: event (a record has a label)");
    }
    out.label = *label;
  } else {
    if (label) return r.Error("label", "only for as: record");
    if (!out.event_type) {
      return FieldError(r.node(), r.Field("event_type"),
                        "required for as: event (a template or a fixed type)");
    }
    if (!out.device_id) {
      return FieldError(r.node(), r.Field("device_id"),
                        "required for as: event (the event's home comes from "
                        "the device registry or default_home_id)");
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<TopicMapping>> ParseTopicMappings(
    const ConfigReader& m, bool mode_topics) {
  std::vector<TopicMapping> out;
  const YAML::Node list = m.Get("mappings");
  if (!list.IsDefined() || list.IsNull()) return out;
  if (!list.IsSequence()) return m.Error("mappings", "must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = absl::StrCat(m.Field("mappings"), "[", i, "]");
    ASSIGN_OR_RETURN(ConfigReader r, ConfigReader::Open(list[i], path));
    ASSIGN_OR_RETURN(TopicMapping mapping, ParseMapping(r, out, mode_topics));
    out.push_back(std::move(mapping));
  }
  return out;
}

std::string TopicFilterError(absl::string_view filter) {
  if (filter.empty()) return "must not be empty";
  if (filter.size() > 65535) return "must be at most 65535 bytes";
  if (filter.find('\0') != absl::string_view::npos) {
    return "must not contain NUL";
  }
  size_t start = 0;
  while (true) {
    const size_t slash = filter.find('/', start);
    const absl::string_view level = filter.substr(
        start, slash == absl::string_view::npos ? absl::string_view::npos
                                                : slash - start);
    const bool last = slash == absl::string_view::npos;
    if (level.find_first_of("+#") != absl::string_view::npos &&
        level.size() != 1) {
      return "'+' and '#' must be whole levels";
    }
    if (level == "#" && !last) return "'#' must be the last level";
    if (last) break;
    start = slash + 1;
  }
  return "";
}

bool FiltersOverlap(absl::string_view a, absl::string_view b) {
  size_t ai = 0;
  size_t bi = 0;
  while (true) {
    const size_t ae = std::min(a.find('/', ai), a.size());
    const size_t be = std::min(b.find('/', bi), b.size());
    const absl::string_view la = a.substr(ai, ae - ai);
    const absl::string_view lb = b.substr(bi, be - bi);
    if (la == "#" || lb == "#") return true;
    if (la != "+" && lb != "+" && la != lb) return false;
    const bool a_done = ae == a.size();
    const bool b_done = be == b.size();
    if (a_done && b_done) return true;
    // "x/#" also matches "x": the longer one's next level is a lone '#'.
    if (a_done) return b.substr(be + 1) == "#";
    if (b_done) return a.substr(ae + 1) == "#";
    ai = ae + 1;
    bi = be + 1;
  }
}

bool TopicMatches(absl::string_view filter, absl::string_view topic) {
  if (!topic.empty() && topic[0] == '$' &&
      (filter.empty() || filter[0] == '+' || filter[0] == '#')) {
    return false;
  }
  size_t f = 0;
  size_t t = 0;
  while (true) {
    const size_t fe = std::min(filter.find('/', f), filter.size());
    const absl::string_view flevel = filter.substr(f, fe - f);
    if (flevel == "#") return true;
    if (t > topic.size()) {
      return false;  // topic ran out of levels
    }
    const size_t te = std::min(topic.find('/', t), topic.size());
    if (flevel != "+" && flevel != topic.substr(t, te - t)) return false;
    const bool filter_done = fe == filter.size();
    const bool topic_done = te == topic.size();
    if (filter_done || topic_done) {
      if (filter_done && topic_done) return true;
      // "a/#" also matches "a": the filter's next level is a lone '#'.
      return topic_done && filter.substr(fe + 1) == "#";
    }
    f = fe + 1;
    t = te + 1;
  }
}

const TopicMapping* FindMapping(const std::vector<TopicMapping>& mappings,
                                absl::string_view topic) {
  for (const TopicMapping& m : mappings) {
    if (TopicMatches(m.topic, topic)) return &m;
  }
  return nullptr;
}

}  // namespace streamgate
