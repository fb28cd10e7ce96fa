#include "gateway/core/config.h"

#include <algorithm>

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/core/dead_letter_config.h"
#include "gateway/spool/spool_config.h"
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

bool ValidModuleId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
          c == '-')) {
      return false;
    }
  }
  return true;
}

// grpc.tls: the files are read (and their PEM checked) when the adapter
// starts; here only the shape. Empty cert_file = plaintext.
absl::Status ParseGrpcTls(const YAML::Node& node, GrpcConfig& g) {
  if (!node.IsDefined() || node.IsNull()) return absl::OkStatus();
  RETURN_IF_ERROR(RequireMap(node, "grpc.tls"));
  RETURN_IF_ERROR(CheckKnownKeys(
      node, {"cert_file", "key_file", "client_ca_file"}, "grpc.tls."));
  ASSIGN_OR_RETURN(auto cert, ReadString(node, "cert_file", "grpc.tls."));
  ASSIGN_OR_RETURN(auto key, ReadString(node, "key_file", "grpc.tls."));
  ASSIGN_OR_RETURN(auto ca, ReadString(node, "client_ca_file", "grpc.tls."));
  g.tls.cert_file = cert.value_or("");
  g.tls.key_file = key.value_or("");
  g.tls.client_ca_file = ca.value_or("");
  if (g.tls.cert_file.empty()) {
    return FieldError(node, "grpc.tls.cert_file",
                      "required when grpc.tls is set (a PEM certificate chain)");
  }
  if (g.tls.key_file.empty()) {
    return FieldError(node, "grpc.tls.key_file",
                      "required with grpc.tls.cert_file (a PEM private key)");
  }
  return absl::OkStatus();
}

bool IsLowerHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// api_keys: [{id, name, key_sha256}]. Only hashes are configured; the
// upper-case hex some tools print is accepted and stored lower-case.
absl::StatusOr<std::vector<ApiKeyConfig>> ParseApiKeys(const YAML::Node& node) {
  std::vector<ApiKeyConfig> keys;
  if (!node.IsDefined() || node.IsNull()) return keys;
  if (!node.IsSequence()) {
    return FieldError(node, "api_keys", "must be a list of {id, name, key_sha256}");
  }
  std::set<std::string> ids;
  std::set<std::string> hashes;
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node k = node[i];
    const std::string where = absl::StrCat("api_keys[", i, "]");
    const std::string prefix = where + ".";
    RETURN_IF_ERROR(RequireMap(k, where));
    RETURN_IF_ERROR(CheckKnownKeys(k, {"id", "name", "key_sha256"}, prefix));
    ApiKeyConfig key;
    ASSIGN_OR_RETURN(auto id, ReadString(k, "id", prefix));
    if (!id || id->empty()) return FieldError(k, prefix + "id", "required");
    if (!ids.insert(*id).second) {
      return FieldError(k["id"], prefix + "id",
                        absl::StrCat("key id '", *id, "' is used twice"));
    }
    key.id = *id;
    ASSIGN_OR_RETURN(auto name, ReadString(k, "name", prefix));
    if (!name || name->empty()) return FieldError(k, prefix + "name", "required");
    key.name = *name;
    ASSIGN_OR_RETURN(auto hash, ReadString(k, "key_sha256", prefix));
    if (!hash) {
      return FieldError(k, prefix + "key_sha256",
                        "required (streamgate --hash-key prints it)");
    }
    key.key_sha256 = absl::AsciiStrToLower(*hash);
    if (!IsLowerHex64(key.key_sha256)) {
      return FieldError(k["key_sha256"], prefix + "key_sha256",
                        "must be 64 hex characters (the SHA-256 of the key, "
                        "from streamgate --hash-key), not the key itself");
    }
    if (!hashes.insert(key.key_sha256).second) {
      return FieldError(k["key_sha256"], prefix + "key_sha256",
                        "the same key is configured twice");
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

absl::Status ParseGrpc(const YAML::Node& node, GrpcConfig& g) {
  RETURN_IF_ERROR(RequireMap(node, "grpc"));
  RETURN_IF_ERROR(CheckKnownKeys(
      node,
      {"listen", "max_message_bytes", "keepalive_time_ms",
       "keepalive_timeout_ms", "max_connection_age_ms",
       "max_connection_age_grace_ms", "stream_window", "drain_grace_ms",
       "max_concurrent_streams", "memory_limit_bytes", "tls"},
      "grpc."));
  RETURN_IF_ERROR(ParseGrpcTls(node["tls"], g));
  ASSIGN_OR_RETURN(auto listen, ReadString(node, "listen", "grpc."));
  if (listen) {
    if (listen->empty() || listen->find(':') == std::string::npos) {
      return FieldError(node["listen"], "grpc.listen",
                        "must be HOST:PORT, e.g. 127.0.0.1:50051");
    }
    g.listen = *listen;
  }
  constexpr int64_t kDay = 86400000;
  ASSIGN_OR_RETURN(auto mmb, ReadInt(node, "max_message_bytes", "grpc.", 1024,
                                     INT32_MAX));
  if (mmb) g.max_message_bytes = *mmb;
  ASSIGN_OR_RETURN(auto kt, ReadInt(node, "keepalive_time_ms", "grpc.", 0, kDay));
  if (kt) g.keepalive_time_ms = *kt;
  ASSIGN_OR_RETURN(auto kto,
                   ReadInt(node, "keepalive_timeout_ms", "grpc.", 0, kDay));
  if (kto) g.keepalive_timeout_ms = *kto;
  ASSIGN_OR_RETURN(auto age,
                   ReadInt(node, "max_connection_age_ms", "grpc.", 0, kDay));
  if (age) g.max_connection_age_ms = *age;
  ASSIGN_OR_RETURN(auto grace, ReadInt(node, "max_connection_age_grace_ms",
                                       "grpc.", 0, kDay));
  if (grace) g.max_connection_age_grace_ms = *grace;
  ASSIGN_OR_RETURN(auto drain, ReadInt(node, "drain_grace_ms", "grpc.", 0, 600000));
  if (drain) g.drain_grace_ms = *drain;
  ASSIGN_OR_RETURN(auto win, ReadInt(node, "stream_window", "grpc.", 1, 65536));
  if (win) g.stream_window = *win;
  ASSIGN_OR_RETURN(auto streams, ReadInt(node, "max_concurrent_streams",
                                         "grpc.", 1, 100000));
  if (streams) g.max_concurrent_streams = *streams;
  ASSIGN_OR_RETURN(auto mem, ReadInt(node, "memory_limit_bytes", "grpc.",
                                     16 << 20, int64_t{1} << 40));
  if (mem) {
    g.memory_limit_bytes = *mem;
  } else {
    // The default follows a raised max_message_bytes.
    g.memory_limit_bytes = std::max(g.memory_limit_bytes, 4 * g.max_message_bytes);
  }
  if (g.memory_limit_bytes < 2 * g.max_message_bytes) {
    return FieldError(node["memory_limit_bytes"], "grpc.memory_limit_bytes",
                      absl::StrCat("must be at least twice grpc.max_message_bytes (",
                                   2 * g.max_message_bytes, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<DeviceMap> ParseDevicesNode(const YAML::Node& node) {
  DeviceMap devices;
  if (!node.IsDefined() || node.IsNull()) return devices;
  if (!node.IsSequence()) return FieldError(node, "devices", "must be a list");
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node d = node[i];
    const std::string prefix = absl::StrCat("devices[", i, "].");
    RETURN_IF_ERROR(RequireMap(d, absl::StrCat("devices[", i, "]")));
    RETURN_IF_ERROR(CheckKnownKeys(d, {"id", "home_id", "class"}, prefix));
    ASSIGN_OR_RETURN(auto id, ReadInt(d, "id", prefix, 1, INT64_MAX));
    if (!id) return FieldError(d, prefix + "id", "required (a positive integer)");
    ASSIGN_OR_RETURN(auto home, ReadInt(d, "home_id", prefix, 1, INT64_MAX));
    if (!home) {
      return FieldError(d, prefix + "home_id", "required (a positive integer)");
    }
    ASSIGN_OR_RETURN(auto cls, ReadString(d, "class", prefix));
    DeviceInfo info{*home, cls.value_or("")};
    if (!devices.emplace(*id, std::move(info)).second) {
      return FieldError(d["id"], prefix + "id",
                        absl::StrCat("device ", *id, " is listed twice"));
    }
  }
  return devices;
}

absl::Status ParseModule(const YAML::Node& node, size_t index,
                         ModuleConfig& m) {
  const std::string where = absl::StrCat("modules[", index, "]");
  RETURN_IF_ERROR(RequireMap(node, where));
  m.line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  ASSIGN_OR_RETURN(auto id, ReadString(node, "id", ""));
  if (!id) return FieldError(node, where + ".id", "required");
  if (!ValidModuleId(*id)) {
    return FieldError(node["id"], where + ".id",
                      absl::StrCat("'", *id,
                                   "' must match [A-Za-z0-9_-]{1,64}"));
  }
  m.id = *id;
  // From here on errors name the module by id.
  auto err = [&](const YAML::Node& n, absl::string_view field,
                 absl::string_view msg) {
    absl::Status s = FieldError(n, field, msg);
    return absl::InvalidArgumentError(
        absl::StrCat("module '", m.id, "': ", s.message()));
  };
  auto wrap = [&](absl::Status s) {
    return absl::InvalidArgumentError(
        absl::StrCat("module '", m.id, "': ", s.message()));
  };
  absl::Status keys = CheckKnownKeys(
      node,
      {"id", "description", "subscribe_events", "bulk_data_label", "use_uuid",
       "sink", "queue", "spool"},
      "");
  if (!keys.ok()) return wrap(keys);

  auto desc = ReadString(node, "description", "");
  if (!desc.ok()) return wrap(desc.status());
  m.description = desc->value_or("");

  const YAML::Node subs = node["subscribe_events"];
  if (subs.IsDefined() && !subs.IsNull()) {
    if (!subs.IsSequence()) {
      return err(subs, "subscribe_events", "must be a list of event types");
    }
    if (subs.size() == 0) {
      return err(subs, "subscribe_events",
                 "is empty (list event types, or \"*\" for every event)");
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < subs.size(); ++i) {
      const YAML::Node t = subs[i];
      const std::string field = absl::StrCat("subscribe_events[", i, "]");
      if (!t.IsScalar() || t.Scalar().empty()) {
        return err(t, field, "must be a non-empty event type");
      }
      if (!seen.insert(t.Scalar()).second) {
        return err(t, field, absl::StrCat("'", t.Scalar(), "' listed twice"));
      }
      if (t.Scalar() == "*") {
        m.all_events = true;
      } else {
        m.subscribe_events.push_back(t.Scalar());
      }
    }
  }
  auto label = ReadString(node, "bulk_data_label", "");
  if (!label.ok()) return wrap(label.status());
  if (*label) {
    if ((*label)->empty()) {
      return err(node["bulk_data_label"], "bulk_data_label",
                 "must not be empty");
    }
    m.bulk_data_label = **label;
  }
  if (!m.all_events && m.subscribe_events.empty() && !m.bulk_data_label) {
    return err(node, "subscribe_events",
               "a module needs subscribe_events or bulk_data_label (or both)");
  }
  auto uuid = ReadBool(node, "use_uuid", "");
  if (!uuid.ok()) return wrap(uuid.status());
  m.use_uuid = uuid->value_or(false);

  const YAML::Node sink = node["sink"];
  if (!sink.IsDefined() || sink.IsNull()) {
    return err(node, "sink", "required (e.g. {type: stdout})");
  }
  if (!sink.IsMap()) return err(sink, "sink", "must be a map with a type");
  auto type = ReadString(sink, "type", "sink.");
  if (!type.ok()) return wrap(type.status());
  if (!*type || (*type)->empty()) {
    return err(sink, "sink.type", "required (kinesis, file or stdout)");
  }
  m.sink_type = **type;
  m.sink = sink;

  const YAML::Node queue = node["queue"];
  if (queue.IsDefined() && !queue.IsNull()) {
    if (!queue.IsMap()) return err(queue, "queue", "must be a map");
    absl::Status qk = CheckKnownKeys(queue, {"max_records", "max_bytes"}, "queue.");
    if (!qk.ok()) return wrap(qk);
    auto mr = ReadInt(queue, "max_records", "queue.", 1, 100000000);
    if (!mr.ok()) return wrap(mr.status());
    if (*mr) m.queue.max_records = **mr;
    auto mb = ReadInt(queue, "max_bytes", "queue.", 1024, int64_t{1} << 40);
    if (!mb.ok()) return wrap(mb.status());
    if (*mb) m.queue.max_bytes = **mb;
  }
  const YAML::Node spool = node["spool"];
  if (spool.IsDefined() && !spool.IsNull()) {
    auto options = ParseSpoolOptions(spool);
    if (!options.ok()) return wrap(options.status());
    m.spool = std::move(*options);
  }
  return absl::OkStatus();
}

// metrics: {listen: "HOST:PORT"} (numeric IPv4 host; port 0 picks one).
absl::Status ParseMetrics(const YAML::Node& node, MetricsConfig& m) {
  if (!node.IsDefined() || node.IsNull()) return absl::OkStatus();
  RETURN_IF_ERROR(RequireMap(node, "metrics"));
  RETURN_IF_ERROR(CheckKnownKeys(node, {"listen"}, "metrics."));
  ASSIGN_OR_RETURN(auto listen, ReadString(node, "listen", "metrics."));
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

absl::Status ParseRoot(const YAML::Node& root, GatewayConfig& c) {
  if (!root.IsDefined() || root.IsNull()) {
    return absl::InvalidArgumentError("the file is empty (modules are required)");
  }
  RETURN_IF_ERROR(RequireMap(root, "config"));
  RETURN_IF_ERROR(CheckKnownKeys(
      root,
      {"grpc", "limits", "devices", "modules", "mqtt", "log_level",
       "shutdown_timeout_ms", "api_keys", "metrics", "dead_letter"},
      ""));
  if (root["grpc"].IsDefined() && !root["grpc"].IsNull()) {
    RETURN_IF_ERROR(ParseGrpc(root["grpc"], c.grpc));
  }
  const YAML::Node limits = root["limits"];
  if (limits.IsDefined() && !limits.IsNull()) {
    RETURN_IF_ERROR(RequireMap(limits, "limits"));
    RETURN_IF_ERROR(CheckKnownKeys(limits, {"max_record_bytes"}, "limits."));
    ASSIGN_OR_RETURN(auto mrb, ReadInt(limits, "max_record_bytes", "limits.",
                                       1, 10 << 20));
    if (mrb) c.max_record_bytes = *mrb;
  }
  ASSIGN_OR_RETURN(c.devices, ParseDevicesNode(root["devices"]));
  ASSIGN_OR_RETURN(c.api_keys, ParseApiKeys(root["api_keys"]));
  ASSIGN_OR_RETURN(auto level, ReadString(root, "log_level", ""));
  if (level) {
    static const std::set<std::string> kLevels = {
        "trace", "debug", "info", "warn", "error", "critical", "off"};
    if (!kLevels.count(*level)) {
      return FieldError(root["log_level"], "log_level",
                        "must be one of trace, debug, info, warn, error, "
                        "critical, off");
    }
    c.log_level = *level;
  }
  RETURN_IF_ERROR(ParseMetrics(root["metrics"], c.metrics));
  if (root["dead_letter"].IsDefined() && !root["dead_letter"].IsNull()) {
    ASSIGN_OR_RETURN(c.dead_letter, ParseDeadLetterOptions(root["dead_letter"]));
  }
  ASSIGN_OR_RETURN(auto shutdown, ReadInt(root, "shutdown_timeout_ms", "", 0,
                                          3600000));
  if (shutdown) c.shutdown_timeout = absl::Milliseconds(*shutdown);

  const YAML::Node modules = root["modules"];
  if (!modules.IsDefined() || modules.IsNull()) {
    return FieldError(root, "modules", "required (at least one module)");
  }
  if (!modules.IsSequence() || modules.size() == 0) {
    return FieldError(modules, "modules", "must be a non-empty list");
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < modules.size(); ++i) {
    ModuleConfig m;
    RETURN_IF_ERROR(ParseModule(modules[i], i, m));
    if (m.spool) {
      for (const ModuleConfig& other : c.modules) {
        if (other.spool && other.spool->dir == m.spool->dir) {
          return FieldError(modules[i]["spool"]["dir"],
                            absl::StrCat("module '", m.id, "': spool.dir"),
                            absl::StrCat("'", m.spool->dir,
                                         "' is already the spool of module '",
                                         other.id, "'"));
        }
      }
    }
    if (!ids.insert(m.id).second) {
      return FieldError(modules[i]["id"], absl::StrCat("modules[", i, "].id"),
                        absl::StrCat("module id '", m.id, "' is used twice"));
    }
    c.modules.push_back(std::move(m));
  }
  const YAML::Node mqtt = root["mqtt"];
  if (mqtt.IsDefined() && !mqtt.IsNull()) c.mqtt = mqtt;
  return absl::OkStatus();
}

}  // namespace

const char* DefaultConfigYaml() { return kDefaultConfig; }

absl::StatusOr<GatewayConfig> ParseConfig(const std::string& yaml_text,
                                          const std::string& source) {
  GatewayConfig c;
  absl::Status st;
  try {
    YAML::Node root = YAML::Load(yaml_text);
    st = ParseRoot(root, c);
  } catch (const YAML::Exception& e) {
    st = absl::InvalidArgumentError(absl::StrCat(
        "YAML syntax error at line ", e.mark.line + 1, ": ", e.msg));
  }
  if (!st.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config ", source, ": ", st.message()));
  }
  return c;
}

absl::StatusOr<GatewayConfig> LoadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("config ", path, ": cannot be read"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path);
}

}  // namespace streamgate
