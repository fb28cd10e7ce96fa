#include "tools/sim/gateway_view.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "yaml-cpp/yaml.h"

namespace streamgate::sim {
namespace {

// "1-3, 7": the ids in `ids` (sorted) as ranges, at most 10 of them.
std::string Ranges(const std::vector<int64_t>& ids) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < ids.size();) {
    size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (parts.size() == 10) {
      parts.push_back("...");
      break;
    }
    parts.push_back(j == i ? absl::StrCat(ids[i])
                           : absl::StrCat(ids[i], "-", ids[j]));
    i = j + 1;
  }
  return absl::StrJoin(parts, ", ");
}

}  // namespace

absl::StatusOr<GatewayView> GatewayView::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--gateway-config ", path, ": cannot be read"));
  }
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

absl::StatusOr<GatewayView> GatewayView::Parse(const std::string& yaml,
                                               const std::string& what) {
  GatewayView v;
  v.source_ = what;
  try {
    const YAML::Node root = YAML::Load(yaml);
    const YAML::Node modules = root.IsMap() ? root["modules"] : YAML::Node();
    if (!modules.IsDefined() || !modules.IsSequence()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--gateway-config ", what,
                       ": not a gateway config (no modules list)"));
    }
    const YAML::Node devices = root["devices"];
    if (devices.IsDefined() && devices.IsSequence()) {
      for (const YAML::Node& d : devices) {
        if (d.IsMap() && d["id"].IsDefined() && d["id"].IsScalar()) {
          v.devices_.insert(d["id"].as<int64_t>());
        }
      }
    }
    const YAML::Node mqtt = root["mqtt"];
    v.default_home_ = mqtt.IsDefined() && mqtt.IsMap() &&
                      mqtt["default_home_id"].IsDefined() &&
                      !mqtt["default_home_id"].IsNull();
    for (const YAML::Node& m : modules) {
      if (!m.IsMap()) continue;
      const YAML::Node subs = m["subscribe_events"];
      if (subs.IsDefined() && subs.IsSequence()) {
        for (const YAML::Node& t : subs) {
          if (!t.IsScalar()) continue;
          if (t.Scalar() == "*") v.all_events_ = true;
          v.event_types_.insert(t.Scalar());
        }
      }
      const YAML::Node label = m["bulk_data_label"];
      if (label.IsDefined() && label.IsScalar()) {
        v.bulk_labels_.insert(label.Scalar());
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("--gateway-config ", what, ": ", e.what()));
  }
  return v;
}

bool GatewayView::AcceptsDevice(int64_t device) const {
  return default_home_ || devices_.count(device) > 0;
}

std::vector<std::string> GatewayView::Warnings(
    const SimOptions& options, const MessageSource& source) const {
  std::vector<std::string> out;
  std::vector<int64_t> refused;
  for (int64_t i = 0; i < options.devices; ++i) {
    const int64_t device = options.first_device_id + i;
    if (!AcceptsDevice(device)) refused.push_back(device);
  }
  if (!refused.empty()) {
    out.push_back(absl::StrCat("the gateway (", source_,
                               ") refuses MQTT messages from device(s) ",
                               Ranges(refused),
                               ": not in its devices: registry, and it has no "
                               "mqtt.default_home_id"));
  }
  std::vector<std::string> unrouted;
  std::set<std::string> seen;
  for (const EventTemplate& t : source.templates()) {
    if (!all_events_ && event_types_.count(t.event_type) == 0 &&
        seen.insert(t.event_type).second) {
      unrouted.push_back(t.event_type);
    }
  }
  if (!unrouted.empty()) {
    out.push_back(absl::StrCat(
        "no module of the gateway subscribes to event "
        "type(s) ",
        absl::StrJoin(unrouted, ", "), ": accepted but forwarded nowhere"));
  }
  if (!options.bulk_label.empty() && bulk_labels_.count("*") == 0 &&
      bulk_labels_.count(options.bulk_label) == 0) {
    out.push_back(absl::StrCat("no module of the gateway has bulk_data_label ",
                               options.bulk_label,
                               ": bulk data accepted but forwarded nowhere"));
  }
  return out;
}

GatewayView::Refused GatewayView::RefusedMessages(const MessageSource& source,
                                                  int64_t sent) const {
  Refused refused;
  for (int64_t m = 0; m < sent; ++m) {
    if (!AcceptsDevice(source.DeviceOf(source.KindIndex(m)))) {
      ++refused.messages;
      refused.records += source.RecordsOf(m);
    }
  }
  return refused;
}

}  // namespace streamgate::sim
