#include "adapters/mqtt/config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include "absl/strings/string_view.h"
#include <utility>
#include <algorithm>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "adapters/mqtt/mqtt_adapter.h"
#include "gateway/common/status_macros.h"

namespace streamgate {
namespace {

constexpr absl::string_view kKnownKeys[] = {
    "host",          "port",          "client_id",        "username",
    "password",      "password_file", "protocol",         "qos",
    "keepalive_s",   "clean_session", "session_expiry_s", "shared_group",
    "tls",           "default_home_id", "reconnect_min_ms", "reconnect_max_ms",
    "connect_timeout_ms", "max_packet_bytes"};
constexpr absl::string_view kTlsKeys[] = {"ca_file", "cert_file", "key_file",
                                         "verify"};

// "mqtt.port (line 12): must be ..." — the line when the node has one.
absl::Status FieldError(const YAML::Node& node, absl::string_view field,
                        absl::string_view message) {
  const int line = node.Mark().line;
  if (line >= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("mqtt.", field, " (line ", line + 1, "): ", message));
  }
  return absl::InvalidArgumentError(absl::StrCat("mqtt.", field, ": ", message));
}

absl::Status CheckKeys(const YAML::Node& map,
                       absl::Span<const absl::string_view> known,
                       absl::string_view prefix) {
  for (const auto& kv : map) {
    std::string key;
    try {
      key = kv.first.as<std::string>();
    } catch (const YAML::Exception&) {
      return FieldError(kv.first, prefix, "keys must be strings");
    }
    bool found = false;
    for (absl::string_view k : known) found = found || k == key;
    if (!found) {
      return FieldError(kv.first, absl::StrCat(prefix, key), "unknown field");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::optional<std::string>> ReadString(
    const YAML::Node& map, const char* key, absl::string_view prefix) {
  const YAML::Node node = map[key];
  if (!node.IsDefined() || node.IsNull()) return absl::nullopt;
  if (!node.IsScalar()) {
    return FieldError(node, absl::StrCat(prefix, key), "must be a string");
  }
  return node.Scalar();
}

absl::StatusOr<absl::optional<int64_t>> ReadInt(const YAML::Node& map,
                                                const char* key,
                                                absl::string_view prefix,
                                                int64_t min, int64_t max) {
  const YAML::Node node = map[key];
  if (!node.IsDefined() || node.IsNull()) return absl::nullopt;
  const std::string range = absl::StrCat("must be an integer in ", min, "..", max);
  if (!node.IsScalar()) return FieldError(node, absl::StrCat(prefix, key), range);
  int64_t value = 0;
  try {
    value = node.as<int64_t>();
  } catch (const YAML::Exception&) {
    return FieldError(node, absl::StrCat(prefix, key), range);
  }
  if (value < min || value > max) {
    return FieldError(node, absl::StrCat(prefix, key), range);
  }
  return value;
}

absl::StatusOr<absl::optional<bool>> ReadBool(const YAML::Node& map,
                                              const char* key,
                                              absl::string_view prefix) {
  const YAML::Node node = map[key];
  if (!node.IsDefined() || node.IsNull()) return absl::nullopt;
  try {
    if (node.IsScalar()) return node.as<bool>();
  } catch (const YAML::Exception&) {
  }
  return FieldError(node, absl::StrCat(prefix, key), "must be true or false");
}

// Fails unless `path` can be opened for reading, so a typo shows up at
// start-up (and in --check-config) rather than at the first connect.
absl::Status CheckReadable(const YAML::Node& node, absl::string_view field,
                           const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return FieldError(node, field,
                      absl::StrCat("cannot read '", path, "': ",
                                   std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<MqttTlsConfig> ParseTls(const YAML::Node& tls) {
  if (!tls.IsMap()) return FieldError(tls, "tls", "must be a map");
  RETURN_IF_ERROR(CheckKeys(tls, kTlsKeys, "tls."));
  MqttTlsConfig out;
  ASSIGN_OR_RETURN(auto ca, ReadString(tls, "ca_file", "tls."));
  ASSIGN_OR_RETURN(auto cert, ReadString(tls, "cert_file", "tls."));
  ASSIGN_OR_RETURN(auto key, ReadString(tls, "key_file", "tls."));
  ASSIGN_OR_RETURN(auto verify, ReadBool(tls, "verify", "tls."));
  if (!ca || ca->empty()) {
    return FieldError(tls, "tls.ca_file", "required when tls is set");
  }
  out.ca_file = *ca;
  RETURN_IF_ERROR(CheckReadable(tls["ca_file"], "tls.ca_file", out.ca_file));
  if (cert.has_value() != key.has_value()) {
    return FieldError(tls, cert ? "tls.key_file" : "tls.cert_file",
                      "cert_file and key_file go together");
  }
  if (cert) {
    out.cert_file = *cert;
    out.key_file = *key;
    RETURN_IF_ERROR(
        CheckReadable(tls["cert_file"], "tls.cert_file", out.cert_file));
    RETURN_IF_ERROR(CheckReadable(tls["key_file"], "tls.key_file", out.key_file));
  }
  out.verify = verify.value_or(true);
  return out;
}

// The whole file minus one trailing newline. The error names the path only.
absl::StatusOr<std::string> ReadPasswordFile(const YAML::Node& node,
                                             const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return FieldError(node, "password_file",
                      absl::StrCat("cannot read '", path, "': ",
                                   std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string password = std::move(text).str();
  if (!password.empty() && password.back() == '\n') password.pop_back();
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) {
    return FieldError(node, "password_file", absl::StrCat("'", path, "' is empty"));
  }
  return password;
}

}  // namespace

absl::StatusOr<MqttConfig> ParseMqttConfig(const YAML::Node& m) {
  if (!m.IsMap()) {
    const int line = m.Mark().line;
    return absl::InvalidArgumentError(
        line >= 0 ? absl::StrCat("mqtt (line ", line + 1, "): must be a map")
                  : std::string("mqtt: must be a map"));
  }
  try {
    RETURN_IF_ERROR(CheckKeys(m, kKnownKeys, ""));
    MqttConfig c;

    ASSIGN_OR_RETURN(auto host, ReadString(m, "host", ""));
    if (!host || host->empty()) return FieldError(m, "host", "required");
    c.host = *host;

    ASSIGN_OR_RETURN(auto client_id, ReadString(m, "client_id", ""));
    ASSIGN_OR_RETURN(auto clean, ReadBool(m, "clean_session", ""));
    c.clean_session = clean.value_or(false);
    if (client_id) {
      if (client_id->empty() || client_id->size() > 65535) {
        return FieldError(m["client_id"], "client_id",
                          "must be 1..65535 characters");
      }
      c.client_id = *client_id;
    } else if (!c.clean_session) {
      return FieldError(m, "client_id",
                        "required when clean_session is false (the broker "
                        "keeps the session under this id)");
    }

    ASSIGN_OR_RETURN(auto username, ReadString(m, "username", ""));
    ASSIGN_OR_RETURN(auto password, ReadString(m, "password", ""));
    ASSIGN_OR_RETURN(auto password_file, ReadString(m, "password_file", ""));
    if (password && password_file) {
      return FieldError(m["password_file"], "password_file",
                        "give either password or password_file, not both");
    }
    if ((password || password_file) && (!username || username->empty())) {
      return FieldError(m, "username", "required when a password is set");
    }
    c.username = username.value_or("");
    if (password) c.password = *password;
    if (password_file) {
      ASSIGN_OR_RETURN(c.password,
                       ReadPasswordFile(m["password_file"], *password_file));
    }

    ASSIGN_OR_RETURN(auto protocol, ReadString(m, "protocol", ""));
    if (protocol) {
      if (*protocol == "5") {
        c.protocol = 5;
      } else if (*protocol == "3.1.1") {
        c.protocol = 4;
      } else {
        return FieldError(m["protocol"], "protocol", "must be \"3.1.1\" or \"5\"");
      }
    }

    ASSIGN_OR_RETURN(auto qos, ReadInt(m, "qos", "", 0, 2));
    c.qos = static_cast<int>(qos.value_or(1));
    // libmosquitto refuses keepalives below 5 s.
    ASSIGN_OR_RETURN(auto keepalive, ReadInt(m, "keepalive_s", "", 5, 65535));
    c.keepalive_s = static_cast<int>(keepalive.value_or(60));
    ASSIGN_OR_RETURN(auto expiry,
                     ReadInt(m, "session_expiry_s", "", 1, 0xFFFFFFFFLL));
    if (expiry) c.session_expiry_s = static_cast<uint32_t>(*expiry);

    ASSIGN_OR_RETURN(auto group, ReadString(m, "shared_group", ""));
    if (group) {
      if (group->empty() ||
          group->find_first_of("/+#") != std::string::npos) {
        return FieldError(m["shared_group"], "shared_group",
                          "must be non-empty without '/', '+' or '#'");
      }
      c.shared_group = *group;
    }

    const YAML::Node tls = m["tls"];
    if (tls.IsDefined() && !tls.IsNull()) {
      ASSIGN_OR_RETURN(c.tls, ParseTls(tls));
    }
    ASSIGN_OR_RETURN(auto port, ReadInt(m, "port", "", 1, 65535));
    c.port = static_cast<int>(port.value_or(c.tls ? 8883 : 1883));

    ASSIGN_OR_RETURN(c.default_home_id,
                     ReadInt(m, "default_home_id", "", 1, INT64_MAX));

    ASSIGN_OR_RETURN(auto rmin, ReadInt(m, "reconnect_min_ms", "", 1, 3600000));
    ASSIGN_OR_RETURN(auto rmax, ReadInt(m, "reconnect_max_ms", "", 1, 3600000));
    c.reconnect_min_ms = rmin.value_or(c.reconnect_min_ms);
    c.reconnect_max_ms = rmax.value_or(std::max(c.reconnect_max_ms, c.reconnect_min_ms));
    if (c.reconnect_max_ms < c.reconnect_min_ms) {
      return FieldError(m["reconnect_max_ms"], "reconnect_max_ms",
                        "must be >= reconnect_min_ms");
    }
    ASSIGN_OR_RETURN(auto timeout,
                     ReadInt(m, "connect_timeout_ms", "", 100, 600000));
    c.connect_timeout_ms = timeout.value_or(c.connect_timeout_ms);
    // 268435460 is the largest packet MQTT can frame.
    ASSIGN_OR_RETURN(auto max_packet,
                     ReadInt(m, "max_packet_bytes", "", 1024, 268435460));
    if (max_packet) c.max_packet_bytes = static_cast<uint32_t>(*max_packet);
    return c;
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on malformed nodes; keep exceptions at this edge.
    return absl::InvalidArgumentError(absl::StrCat("mqtt: ", e.what()));
  }
}

absl::StatusOr<std::unique_ptr<Adapter>> CreateMqttAdapter(
    const YAML::Node& mqtt_section, Ingest& ingest, DoorRejects& rejects) {
  ASSIGN_OR_RETURN(MqttConfig config, ParseMqttConfig(mqtt_section));
  return std::unique_ptr<Adapter>(
      std::make_unique<MqttAdapter>(std::move(config), ingest, rejects));
}

}  // namespace streamgate
