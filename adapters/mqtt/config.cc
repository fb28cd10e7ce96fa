#include "adapters/mqtt/config.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "adapters/mqtt/topic.h"
#include "gateway/common/status_macros.h"

namespace streamgate {
namespace {

// "mqtt.<key> (line N): message" at the line of the map `r` reads, for a
// rule about a key that may be absent (required fields, pairs of fields).
absl::Status MapError(const ConfigReader& r, absl::string_view key,
                      absl::string_view message) {
  return FieldError(r.node(), r.Field(key), message);
}

// Fails unless the file `key` names can be opened for reading, so a typo
// shows up at start-up (and in --check-config) rather than at the first
// connect.
absl::Status CheckReadable(const ConfigReader& r, absl::string_view key,
                           const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return r.Error(
        key, absl::StrCat("cannot read '", path, "': ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<MqttTlsConfig> ParseTls(const ConfigReader& tls) {
  RETURN_IF_ERROR(
      tls.CheckKnownKeys({"ca_file", "cert_file", "key_file", "verify"}));
  MqttTlsConfig out;
  ASSIGN_OR_RETURN(auto ca, tls.String("ca_file"));
  ASSIGN_OR_RETURN(auto cert, tls.String("cert_file"));
  ASSIGN_OR_RETURN(auto key, tls.String("key_file"));
  ASSIGN_OR_RETURN(auto verify, tls.Bool("verify"));
  if (!ca || ca->empty()) {
    return MapError(tls, "ca_file", "required when tls is set");
  }
  out.ca_file = *ca;
  RETURN_IF_ERROR(CheckReadable(tls, "ca_file", out.ca_file));
  if (cert.has_value() != key.has_value()) {
    return MapError(tls, cert ? "key_file" : "cert_file",
                    "cert_file and key_file go together");
  }
  if (cert) {
    out.cert_file = *cert;
    out.key_file = *key;
    RETURN_IF_ERROR(CheckReadable(tls, "cert_file", out.cert_file));
    RETURN_IF_ERROR(CheckReadable(tls, "key_file", out.key_file));
  }
  out.verify = verify.value_or(true);
  return out;
}

// The whole file minus one trailing newline. The error names the path only.
absl::StatusOr<std::string> ReadPasswordFile(const ConfigReader& m,
                                             const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return m.Error("password_file", absl::StrCat("cannot read '", path,
                                                 "': ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string password = std::move(text).str();
  if (!password.empty() && password.back() == '\n') password.pop_back();
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) {
    return m.Error("password_file", absl::StrCat("'", path, "' is empty"));
  }
  return password;
}

// client_id, clean_session, username and the password.
absl::Status ParseIdentity(const ConfigReader& m, MqttConfig& c) {
  ASSIGN_OR_RETURN(auto client_id, m.String("client_id"));
  RETURN_IF_ERROR(m.Read("clean_session", c.clean_session));
  if (client_id) {
    if (client_id->empty() || client_id->size() > 65535) {
      return m.Error("client_id", "must be 1..65535 characters");
    }
    c.client_id = *client_id;
  } else if (!c.clean_session) {
    return MapError(m, "client_id",
                    "required when clean_session is false (the broker "
                    "keeps the session under this id)");
  }

  ASSIGN_OR_RETURN(auto username, m.String("username"));
  ASSIGN_OR_RETURN(auto password, m.String("password"));
  ASSIGN_OR_RETURN(auto password_file, m.String("password_file"));
  if (password && password_file) {
    return m.Error("password_file",
                   "give either password or password_file, not both");
  }
  if ((password || password_file) && (!username || username->empty())) {
    return MapError(m, "username", "required when a password is set");
  }
  c.username = username.value_or("");
  if (password) c.password = *password;
  if (password_file) {
    ASSIGN_OR_RETURN(c.password, ReadPasswordFile(m, *password_file));
  }
  return absl::OkStatus();
}

// protocol, qos, keepalive_s, session_expiry_s, shared_group.
absl::Status ParseSession(const ConfigReader& m, MqttConfig& c) {
  ASSIGN_OR_RETURN(auto protocol, m.String("protocol"));
  if (protocol) {
    if (*protocol == "5") {
      c.protocol = 5;
    } else if (*protocol == "3.1.1") {
      c.protocol = 4;
    } else {
      return m.Error("protocol", "must be \"3.1.1\" or \"5\"");
    }
  }
  ASSIGN_OR_RETURN(auto qos, m.Int("qos", 0, 2));
  c.qos = static_cast<int>(qos.value_or(c.qos));
  ASSIGN_OR_RETURN(auto keepalive, m.Int("keepalive_s", 5, 65535));
  c.keepalive_s = static_cast<int>(keepalive.value_or(c.keepalive_s));
  ASSIGN_OR_RETURN(auto expiry, m.Int("session_expiry_s", 1, 0xFFFFFFFFLL));
  if (expiry) c.session_expiry_s = static_cast<uint32_t>(*expiry);

  ASSIGN_OR_RETURN(auto group, m.String("shared_group"));
  if (group) {
    if (group->empty() || group->find_first_of("/+#") != std::string::npos) {
      return m.Error("shared_group",
                     "must be non-empty without '/', '+' or '#'");
    }
    c.shared_group = *group;
  }
  return absl::OkStatus();
}

// reconnect_min_ms/max_ms, connect_timeout_ms, start_timeout_ms,
// receive_maximum, read_linger_us, max_packet_bytes.
absl::Status ParseLimits(const ConfigReader& m, MqttConfig& c) {
  ASSIGN_OR_RETURN(auto rmin, m.Int("reconnect_min_ms", 1, 3600000));
  ASSIGN_OR_RETURN(auto rmax, m.Int("reconnect_max_ms", 1, 3600000));
  c.reconnect_min_ms = rmin.value_or(c.reconnect_min_ms);
  c.reconnect_max_ms =
      rmax.value_or(std::max(c.reconnect_max_ms, c.reconnect_min_ms));
  if (c.reconnect_max_ms < c.reconnect_min_ms) {
    return m.Error("reconnect_max_ms", "must be >= reconnect_min_ms");
  }
  RETURN_IF_ERROR(
      m.Read("connect_timeout_ms", c.connect_timeout_ms, 100, 600000));
  ASSIGN_OR_RETURN(c.start_timeout_ms,
                   m.Int("start_timeout_ms", 1, 24LL * 3600 * 1000));
  ASSIGN_OR_RETURN(auto receive_max, m.Int("receive_maximum", 1, 65535));
  if (receive_max) c.receive_maximum = static_cast<uint16_t>(*receive_max);
  ASSIGN_OR_RETURN(auto linger, m.Int("read_linger_us", 0, 100000));
  c.read_linger_us = linger.value_or(c.read_linger_us);
  // 268435460 is the largest packet MQTT can frame.
  ASSIGN_OR_RETURN(auto max_packet, m.Int("max_packet_bytes", 1024, 268435460));
  if (max_packet) c.max_packet_bytes = static_cast<uint32_t>(*max_packet);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MqttConfig> ParseMqttConfig(const ConfigReader& m) {
  if (!m.node().IsMap()) return m.SectionError("must be a map");
  try {
    RETURN_IF_ERROR(m.CheckKnownKeys(
        {"host", "port", "client_id", "username", "password", "password_file",
         "protocol", "qos", "keepalive_s", "clean_session", "session_expiry_s",
         "shared_group", "default_home_id", "tls", "reconnect_min_ms",
         "reconnect_max_ms", "connect_timeout_ms", "max_packet_bytes",
         "mode_topics", "mappings", "start_timeout_ms",
         "receive_maximum", "read_linger_us"}));
    MqttConfig c;
    ASSIGN_OR_RETURN(auto host, m.String("host"));
    if (!host || host->empty()) return MapError(m, "host", "required");
    c.host = *host;

    RETURN_IF_ERROR(ParseIdentity(m, c));
    RETURN_IF_ERROR(ParseSession(m, c));
    if (m.Has("tls")) {
      ASSIGN_OR_RETURN(ConfigReader tls, m.Section("tls", /*optional=*/false));
      ASSIGN_OR_RETURN(c.tls, ParseTls(tls));
    }
    ASSIGN_OR_RETURN(auto port, m.Int("port", 1, 65535));
    c.port = static_cast<int>(port.value_or(c.tls ? 8883 : 1883));
    ASSIGN_OR_RETURN(c.default_home_id, m.Int("default_home_id", 1, INT64_MAX));
    RETURN_IF_ERROR(ParseLimits(m, c));
    RETURN_IF_ERROR(m.Read("mode_topics", c.mode_topics));
    ASSIGN_OR_RETURN(c.mappings, ParseTopicMappings(m, c.mode_topics));
    if (!c.mode_topics && c.mappings.empty()) {
      return m.Error("mode_topics",
                     "false leaves nothing to subscribe to (add mappings)");
    }
    return c;
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on malformed nodes; keep exceptions at this edge.
    return absl::InvalidArgumentError(absl::StrCat("mqtt: ", e.what()));
  }
}

std::vector<std::string> SubscriptionFilters(const MqttConfig& config) {
  const std::string prefix =
      config.shared_group.empty()
          ? std::string()
          : absl::StrCat("$share/", config.shared_group, "/");
  std::vector<std::string> filters;
  if (config.mode_topics) {
    filters.push_back(absl::StrCat(prefix, kEventTopicFilter));
    filters.push_back(absl::StrCat(prefix, kBulkTopicFilter));
  }
  for (const TopicMapping& m : config.mappings) {
    filters.push_back(absl::StrCat(prefix, m.topic));
  }
  return filters;
}

}  // namespace streamgate
