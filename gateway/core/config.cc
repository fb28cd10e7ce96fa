#include "gateway/core/config.h"

#include <algorithm>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gateway/common/log_text.h"
#include "gateway/core/dead_letter_config.h"
#include "gateway/core/registry/device_file.h"
#include "gateway/common/status_macros.h"
#include "gateway/api/config_reader.h"

namespace streamgate {
namespace {

constexpr char kDefaultConfig[] = R"(# streamgate embedded default configuration.
grpc:
  listen: "127.0.0.1:50051"
modules:
  - id: console
    description: every event and every bulk-data label, to stdout
    subscribe_events: ["*"]
    bulk_data_label: "*"
    sink: {type: stdout}
)";

absl::Status ParseDevice(const YAML::Node& d, size_t i,
                         absl::flat_hash_set<int64_t>& ids,
                         DeviceTableBuilder& builder) {
  const std::string prefix = absl::StrCat("devices[", i, "].");
  ASSIGN_OR_RETURN(const ConfigReader r,
                   ConfigReader::Open(d, absl::StrCat("devices[", i, "]")));
  RETURN_IF_ERROR(r.CheckKnownKeys({"id", "home_id", "class"}));
  ASSIGN_OR_RETURN(auto id, r.Int("id", 1, INT64_MAX));
  if (!id) return FieldError(d, prefix + "id", "required (a positive integer)");
  ASSIGN_OR_RETURN(auto home, r.Int("home_id", 1, INT64_MAX));
  if (!home) {
    return FieldError(d, prefix + "home_id", "required (a positive integer)");
  }
  ASSIGN_OR_RETURN(auto cls, r.String("class"));
  if (!ids.insert(*id).second) {
    return FieldError(d["id"], prefix + "id",
                      absl::StrCat("device ", *id, " is listed twice"));
  }
  return builder.Add(*id, *home, cls.value_or(""), static_cast<uint32_t>(i));
}

// Every device's error, not only the first; good devices are kept.
void ParseDevicesNode(const YAML::Node& node, DeviceTableBuilder& builder,
                      std::vector<absl::Status>& errors) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsSequence()) {
    errors.push_back(FieldError(node, "devices", "must be a list"));
    return;
  }
  builder.SetOrigin("devices[", "]");
  absl::flat_hash_set<int64_t> ids;
  for (size_t i = 0; i < node.size(); ++i) {
    absl::Status st = ParseDevice(node[i], i, ids, builder);
    if (!st.ok()) errors.push_back(std::move(st));
  }
}

// devices_file relative to the config file's folder (not the working
// directory, which a service manager chooses).
std::string ResolveNextTo(const std::string& source, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  const size_t slash = source.rfind('/');
  if (slash == std::string::npos || source == "<default>") return path;
  return absl::StrCat(source.substr(0, slash + 1), path);
}

// The registry: inline `devices:` and `devices_file` into one table. A
// bad inline device is collected into `errors`; the returned error is the
// file's or the table's.
absl::Status ParseDevices(const YAML::Node& root, GatewayConfig& c,
                          std::vector<absl::Status>& errors) {
  DeviceTableBuilder builder;
  ParseDevicesNode(root["devices"], builder, errors);
  const ConfigReader top(root, "");
  ASSIGN_OR_RETURN(auto file, top.NonEmptyString("devices_file"));
  if (file) {
    c.devices_file = ResolveNextTo(c.source, *file);
    absl::Status st = LoadDeviceFile(c.devices_file, builder);
    if (!st.ok()) {
      return FieldError(root["devices_file"], "devices_file", st.message());
    }
  }
  auto table = std::move(builder).Build();
  if (!table.ok()) {
    return FieldError(file ? root["devices_file"] : root["devices"],
                      file ? "devices_file" : "devices",
                      table.status().message());
  }
  c.devices = *std::move(table);
  ASSIGN_OR_RETURN(c.default_home_id,
                   top.Int("default_home_id", 1, INT64_MAX));
  return absl::OkStatus();
}

// metrics: {listen: "HOST:PORT"} (numeric IPv4 host; port 0 picks one).
absl::Status ParseMetrics(const YAML::Node& node, MetricsConfig& m) {
  if (!node.IsDefined() || node.IsNull()) return absl::OkStatus();
  ASSIGN_OR_RETURN(const ConfigReader r, ConfigReader::Open(node, "metrics"));
  RETURN_IF_ERROR(r.CheckKnownKeys({"listen"}));
  ASSIGN_OR_RETURN(auto listen, r.String("listen"));
  const size_t colon = listen ? listen->rfind(':') : std::string::npos;
  int port = -1;
  if (!listen || colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(*listen).substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return FieldError(node["listen"].IsDefined() ? node["listen"] : node,
                      "metrics.listen",
                      "must be HOST:PORT, e.g. 127.0.0.1:9464");
  }
  m.listen = *listen;
  return absl::OkStatus();
}

// limits: the gateway-wide bounds (LimitsConfig).
absl::Status ParseLimits(const ConfigReader& l, GatewayConfig& c) {
  RETURN_IF_ERROR(l.CheckKnownKeys(
      {"max_record_bytes", "max_records_per_input", "max_rss_bytes",
       "watchdog_interval_ms", "watchdog_timeout_ms", "watchdog_failures"}));
  RETURN_IF_ERROR(l.Read("max_record_bytes", c.max_record_bytes, 1, 10 << 20));
  LimitsConfig& lim = c.limits;
  RETURN_IF_ERROR(l.Read("max_records_per_input", lim.max_records_per_input,
                         1, 1000000));
  RETURN_IF_ERROR(
      l.ReadBytes("max_rss_bytes", lim.max_rss_bytes, 0, int64_t{1} << 50));
  if (lim.max_rss_bytes != 0 && lim.max_rss_bytes < (16 << 20)) {
    return l.Error("max_rss_bytes",
                   "must be 0 (no bound) or at least 16777216 (16 MiB)");
  }
  RETURN_IF_ERROR(l.Read("watchdog_interval_ms", lim.watchdog_interval_ms, 0,
                         3600000));
  RETURN_IF_ERROR(l.Read("watchdog_timeout_ms", lim.watchdog_timeout_ms, 100,
                         600000));
  return l.Read("watchdog_failures", lim.watchdog_failures, 1, 1000);
}

// Fails on a top-level key neither the core nor an adapter owns. Listed in
// one fixed order, whoever owns them, so the message does not depend on
// the adapters' registration order.
void CheckTopLevelKeys(const YAML::Node& root,
                       const std::vector<std::string>& adapters,
                       std::vector<absl::Status>& errors) {
  static const char* const kOrder[] = {"grpc",
                                       "limits",
                                       "devices",
                                       "devices_file",
                                       "default_home_id",
                                       "modules",
                                       "mqtt",
                                       "log_level",
                                       "shutdown_timeout_ms",
                                       "api_keys",
                                       "metrics",
                                       "dead_letter"};
  static const std::set<std::string> kCore = {
      "limits",    "devices",   "devices_file",        "default_home_id",
      "modules",   "log_level", "shutdown_timeout_ms",
      "metrics", "dead_letter"};
  std::set<std::string> known(kCore);
  known.insert(adapters.begin(), adapters.end());
  std::vector<std::string> listed;
  for (const char* k : kOrder) {
    if (known.count(k)) listed.push_back(k);
  }
  for (const std::string& k : adapters) {
    if (std::find(listed.begin(), listed.end(), k) == listed.end()) {
      listed.push_back(k);
    }
  }
  for (const auto& kv : root) {
    std::string key;
    if (kv.first.IsScalar()) key = kv.first.Scalar();
    if (!kv.first.IsScalar()) {
      errors.push_back(FieldError(kv.first, "", "keys must be strings"));
    } else if (!known.count(key)) {
      errors.push_back(
          FieldError(kv.first, key,
                     absl::StrCat("unknown field (expected one of: ",
                                  absl::StrJoin(listed, ", "), ")")));
    }
  }
}

// Collects every error it can find into `errors` and keeps what parsed, so
// --check-config reports them all; returns an error only when the document
// cannot be read as a config at all.
absl::Status ParseRoot(const YAML::Node& root,
                       const std::vector<std::string>& adapters,
                       GatewayConfig& c, std::vector<absl::Status>& errors) {
  if (!root.IsDefined() || root.IsNull()) {
    return absl::InvalidArgumentError(
        "the file is empty (modules are required)");
  }
  RETURN_IF_ERROR(ConfigReader::Open(root, "config").status());
  c.root = root;
  auto keep = [&errors](absl::Status st) {
    if (!st.ok()) errors.push_back(std::move(st));
  };
  keep(CheckNoDuplicateKeys(root));
  CheckTopLevelKeys(root, adapters, errors);
  const YAML::Node limits = root["limits"];
  if (limits.IsDefined() && !limits.IsNull()) {
    auto l = ConfigReader::Open(limits, "limits");
    if (!l.ok()) {
      keep(l.status());
    } else {
      keep(ParseLimits(*l, c));
    }
  }
  keep(ParseDevices(root, c, errors));
  const ConfigReader top(root, "");
  auto level = top.String("log_level");
  if (!level.ok()) {
    keep(level.status());
  } else if (*level) {
    if ((*level)->empty() || !ParseLogLevel(**level)) {
      keep(FieldError(root["log_level"], "log_level",
                      absl::StrCat("must be one of ", kLogLevelNames)));
    } else {
      c.log_level = **level;
    }
  }
  keep(ParseMetrics(root["metrics"], c.metrics));
  if (root["dead_letter"].IsDefined() && !root["dead_letter"].IsNull()) {
    auto dead_letter = ParseDeadLetterOptions(root["dead_letter"]);
    if (dead_letter.ok()) {
      c.dead_letter = *std::move(dead_letter);
    } else {
      keep(dead_letter.status());
    }
  }
  auto shutdown = top.Int("shutdown_timeout_ms", 0, 3600000);
  if (!shutdown.ok()) {
    keep(shutdown.status());
  } else if (*shutdown) {
    c.shutdown_timeout = absl::Milliseconds(**shutdown);
  }

  const YAML::Node modules = root["modules"];
  if (!modules.IsDefined() || modules.IsNull()) {
    keep(FieldError(root, "modules", "required (at least one module)"));
    return absl::OkStatus();
  }
  if (!modules.IsSequence() || modules.size() == 0) {
    keep(FieldError(modules, "modules", "must be a non-empty list"));
    return absl::OkStatus();
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < modules.size(); ++i) {
    ModuleConfig m;
    absl::Status st = ParseModule(modules[i], i, m);
    if (!st.ok()) {
      keep(std::move(st));
      continue;
    }
    if (m.spool) {
      bool shared = false;
      for (const ModuleConfig& other : c.modules) {
        if (other.spool && other.spool->dir == m.spool->dir) {
          keep(FieldError(modules[i]["spool"]["dir"],
                          absl::StrCat("module '", m.id, "': spool.dir"),
                          absl::StrCat("'", m.spool->dir,
                                       "' is already the spool of module '",
                                       other.id, "'")));
          shared = true;
          break;
        }
      }
      if (shared) continue;
    }
    if (!ids.insert(m.id).second) {
      keep(FieldError(modules[i]["id"], absl::StrCat("modules[", i, "].id"),
                      absl::StrCat("module id '", m.id, "' is used twice")));
      continue;
    }
    c.modules.push_back(std::move(m));
  }
  return absl::OkStatus();
}

}  // namespace

const char* DefaultConfigYaml() { return kDefaultConfig; }

absl::StatusOr<ParsedConfig> ParseConfigCollecting(
    const std::string& yaml_text, const std::string& source,
    const std::vector<std::string>& adapter_sections) {
  ParsedConfig parsed;
  parsed.config.source = source;
  std::vector<absl::Status> errors;
  absl::Status st;
  try {
    YAML::Node root = YAML::Load(yaml_text);
    st = ParseRoot(root, adapter_sections, parsed.config, errors);
  } catch (const YAML::Exception& e) {
    st = absl::InvalidArgumentError(absl::StrCat("YAML syntax error at line ",
                                                 e.mark.line + 1, ": ", e.msg));
  }
  if (!st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config ", source, ": ", st.message()));
  }
  for (const absl::Status& e : errors) {
    parsed.errors.push_back(absl::StrCat("config ", source, ": ", e.message()));
  }
  return parsed;
}

absl::StatusOr<GatewayConfig> ParseConfig(
    const std::string& yaml_text, const std::string& source,
    const std::vector<std::string>& adapter_sections) {
  ASSIGN_OR_RETURN(ParsedConfig parsed,
                   ParseConfigCollecting(yaml_text, source, adapter_sections));
  if (!parsed.errors.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(parsed.errors, "\n"));
  }
  return std::move(parsed.config);
}

absl::StatusOr<std::string> ReadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("config ", path, ": cannot be read"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<GatewayConfig> LoadConfigFile(
    const std::string& path, const std::vector<std::string>& adapter_sections) {
  ASSIGN_OR_RETURN(std::string text, ReadConfigFile(path));
  return ParseConfig(text, path, adapter_sections);
}

}  // namespace streamgate
