#include "gateway/server/config_diff.h"

#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace streamgate {
namespace {

// The top-level sections a reload applies.
const std::set<std::string>& LiveSections() {
  static const auto* live = new std::set<std::string>{
      "modules", "devices", "devices_file", "default_home_id", "log_level"};
  return *live;
}

// One text per meaning: maps with sorted keys, scalars quoted and escaped.
void Canonical(const YAML::Node& node, std::string& out) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      absl::StrAppend(&out, "\"", absl::CEscape(node.Scalar()), "\"");
      return;
    case YAML::NodeType::Sequence: {
      out += "[";
      for (size_t i = 0; i < node.size(); ++i) {
        if (i > 0) out += ",";
        Canonical(node[i], out);
      }
      out += "]";
      return;
    }
    case YAML::NodeType::Map: {
      std::map<std::string, YAML::Node> sorted;
      for (const auto& kv : node) {
        sorted.emplace(kv.first.Scalar(), kv.second);
      }
      out += "{";
      bool first = true;
      for (const auto& [key, value] : sorted) {
        if (!first) out += ",";
        first = false;
        absl::StrAppend(&out, "\"", absl::CEscape(key), "\":");
        Canonical(value, out);
      }
      out += "}";
      return;
    }
    default:
      out += "~";  // null or undefined
  }
}

// Every leaf under `node` by dotted path; a map's entries are leaves of
// their own so the refusal names the field, not the section.
void Flatten(const YAML::Node& node, const std::string& path,
             std::map<std::string, std::string>& out) {
  if (node.IsMap() && node.size() > 0) {
    for (const auto& kv : node) {
      Flatten(kv.second, absl::StrCat(path, ".", kv.first.Scalar()), out);
    }
    return;
  }
  std::string text;
  Canonical(node, text);
  out[path] = std::move(text);
}

}  // namespace

ConfigFingerprint FingerprintConfig(const GatewayConfig& config) {
  ConfigFingerprint f;
  if (config.root.IsMap()) {
    for (const auto& kv : config.root) {
      const std::string key = kv.first.Scalar();
      if (LiveSections().count(key) > 0) continue;
      Flatten(kv.second, key, f.fixed);
    }
  }
  const YAML::Node modules =
      config.root.IsMap() ? config.root["modules"] : YAML::Node();
  for (const ModuleConfig& m : config.modules) {
    std::string text;
    if (modules.IsSequence()) {
      for (size_t i = 0; i < modules.size(); ++i) {
        const YAML::Node entry = modules[i];
        if (entry.IsMap() && entry["id"].IsScalar() &&
            entry["id"].Scalar() == m.id) {
          Canonical(entry, text);
          break;
        }
      }
    }
    f.modules.emplace_back(m.id, std::move(text));
  }
  return f;
}

absl::StatusOr<ReloadPlan> PlanReload(const ConfigFingerprint& running,
                                      const ConfigFingerprint& fresh) {
  std::vector<std::string> fixed;
  for (const auto& [path, text] : running.fixed) {
    auto it = fresh.fixed.find(path);
    if (it == fresh.fixed.end() || it->second != text) fixed.push_back(path);
  }
  for (const auto& [path, text] : fresh.fixed) {
    if (running.fixed.count(path) == 0) fixed.push_back(path);
  }
  if (!fixed.empty()) {
    std::sort(fixed.begin(), fixed.end());
    return absl::FailedPreconditionError(absl::StrCat(
        absl::StrJoin(fixed, ", "), " cannot change live (restart needed)"));
  }
  std::map<std::string, std::string> before(running.modules.begin(),
                                            running.modules.end());
  ReloadPlan plan;
  std::set<std::string> seen;
  for (const auto& [id, text] : fresh.modules) {
    seen.insert(id);
    auto it = before.find(id);
    if (it == before.end()) {
      plan.added.push_back(id);
    } else if (it->second != text) {
      plan.changed.push_back(id);
    } else {
      plan.kept.push_back(id);
    }
  }
  for (const auto& [id, text] : running.modules) {
    if (seen.count(id) == 0) plan.removed.push_back(id);
  }
  return plan;
}

std::string DescribePlan(const ReloadPlan& plan) {
  std::vector<std::string> parts;
  auto add = [&](const char* what, const std::vector<std::string>& ids) {
    if (!ids.empty()) {
      parts.push_back(absl::StrCat(what, " [", absl::StrJoin(ids, ", "), "]"));
    }
  };
  add("added", plan.added);
  add("changed", plan.changed);
  add("removed", plan.removed);
  add("kept", plan.kept);
  return parts.empty() ? "no modules" : absl::StrJoin(parts, ", ");
}

}  // namespace streamgate
