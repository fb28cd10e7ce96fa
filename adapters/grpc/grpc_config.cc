#include "adapters/grpc/grpc_config.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gateway/api/config_reader.h"
#include "gateway/common/status_macros.h"

namespace streamgate {
namespace {

constexpr int64_t kDayMs = 86400000;

// grpc.tls: the files are read (and their PEM checked) when the adapter
// starts; here only the shape. Empty cert_file = plaintext.
absl::Status ParseTls(const ConfigReader &grpc, GrpcConfig::Tls &tls) {
  if (!grpc.Has("tls")) return absl::OkStatus();
  ASSIGN_OR_RETURN(const ConfigReader t, grpc.Section("tls"));
  RETURN_IF_ERROR(
      t.CheckKnownKeys({"cert_file", "key_file", "client_ca_file"}));
  RETURN_IF_ERROR(t.Read("cert_file", tls.cert_file));
  RETURN_IF_ERROR(t.Read("key_file", tls.key_file));
  RETURN_IF_ERROR(t.Read("client_ca_file", tls.client_ca_file));
  // Named at the tls map's line: the missing key has none of its own.
  if (tls.cert_file.empty()) {
    return FieldError(
        t.node(), t.Field("cert_file"),
        "required when grpc.tls is set (a PEM certificate chain)");
  }
  if (tls.key_file.empty()) {
    return FieldError(t.node(), t.Field("key_file"),
                      "required with grpc.tls.cert_file (a PEM private key)");
  }
  return absl::OkStatus();
}

absl::Status ParseGrpc(const ConfigReader &root, GrpcConfig &g) {
  if (!root.Has("grpc")) return absl::OkStatus();
  ASSIGN_OR_RETURN(const ConfigReader r, root.Section("grpc"));
  RETURN_IF_ERROR(r.CheckKnownKeys(
      {"listen", "max_message_bytes", "keepalive_time_ms",
       "keepalive_timeout_ms", "max_connection_age_ms",
       "max_connection_age_grace_ms", "stream_window", "drain_grace_ms",
       "max_concurrent_streams", "memory_limit_bytes", "tls",
       "max_connection_idle_ms", "keepalive_min_ping_interval_ms",
       "keepalive_max_ping_strikes", "keepalive_permit_without_calls",
       "max_metadata_bytes", "handshake_timeout_ms", "max_threads"}));
  RETURN_IF_ERROR(ParseTls(r, g.tls));
  ASSIGN_OR_RETURN(auto listen, r.String("listen"));
  if (listen) {
    if (listen->empty() || listen->find(':') == std::string::npos) {
      return r.Error("listen", "must be HOST:PORT, e.g. 127.0.0.1:50051");
    }
    g.listen = *listen;
  }
  RETURN_IF_ERROR(
      r.Read("max_message_bytes", g.max_message_bytes, 1024, INT32_MAX));
  RETURN_IF_ERROR(r.Read("keepalive_time_ms", g.keepalive_time_ms, 0, kDayMs));
  RETURN_IF_ERROR(
      r.Read("keepalive_timeout_ms", g.keepalive_timeout_ms, 0, kDayMs));
  RETURN_IF_ERROR(
      r.Read("max_connection_age_ms", g.max_connection_age_ms, 0, kDayMs));
  RETURN_IF_ERROR(r.Read("max_connection_age_grace_ms",
                         g.max_connection_age_grace_ms, 0, kDayMs));
  RETURN_IF_ERROR(r.Read("drain_grace_ms", g.drain_grace_ms, 0, 600000));
  RETURN_IF_ERROR(r.Read("stream_window", g.stream_window, 1, 65536));
  RETURN_IF_ERROR(
      r.Read("max_concurrent_streams", g.max_concurrent_streams, 1, 100000));
  RETURN_IF_ERROR(
      r.Read("max_connection_idle_ms", g.max_connection_idle_ms, 0, kDayMs));
  RETURN_IF_ERROR(r.Read("keepalive_min_ping_interval_ms",
                         g.keepalive_min_ping_interval_ms, 0, kDayMs));
  RETURN_IF_ERROR(r.Read("keepalive_max_ping_strikes",
                         g.keepalive_max_ping_strikes, 0, 1000));
  RETURN_IF_ERROR(r.Read("keepalive_permit_without_calls",
                         g.keepalive_permit_without_calls));
  RETURN_IF_ERROR(
      r.ReadBytes("max_metadata_bytes", g.max_metadata_bytes, 1024, 1 << 20));
  RETURN_IF_ERROR(
      r.Read("handshake_timeout_ms", g.handshake_timeout_ms, 100, 600000));
  RETURN_IF_ERROR(r.Read("max_threads", g.max_threads, 2, 10000));
  ASSIGN_OR_RETURN(auto mem,
                   r.Int("memory_limit_bytes", 16 << 20, int64_t{1} << 40));
  if (mem) {
    g.memory_limit_bytes = *mem;
  } else {
    // The default follows a raised max_message_bytes.
    g.memory_limit_bytes =
        std::max(g.memory_limit_bytes, 4 * g.max_message_bytes);
  }
  if (g.memory_limit_bytes < 2 * g.max_message_bytes) {
    return r.Error(
        "memory_limit_bytes",
        absl::StrCat("must be at least twice grpc.max_message_bytes (",
                     2 * g.max_message_bytes, ")"));
  }
  return absl::OkStatus();
}

bool IsLowerHex64(const std::string &s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// api_keys: [{id, name, key_sha256}]. Only hashes are configured; the
// upper-case hex some tools print is accepted and stored lower-case. The
// value of a bad key_sha256 is never echoed: it may be the key itself.
absl::StatusOr<std::vector<ApiKeyConfig>> ParseApiKeys(
    const ConfigReader &root) {
  std::vector<ApiKeyConfig> keys;
  if (!root.Has("api_keys")) return keys;
  const YAML::Node list = root.Get("api_keys");
  if (!list.IsSequence()) {
    return root.Error("api_keys", "must be a list of {id, name, key_sha256}");
  }
  std::set<std::string> ids;
  std::set<std::string> hashes;
  for (size_t i = 0; i < list.size(); ++i) {
    ASSIGN_OR_RETURN(
        const ConfigReader k,
        ConfigReader::Open(list[i], absl::StrCat("api_keys[", i, "]")));
    RETURN_IF_ERROR(k.CheckKnownKeys({"id", "name", "key_sha256"}));
    ApiKeyConfig key;
    ASSIGN_OR_RETURN(auto id, k.String("id"));
    if (!id || id->empty())
      return FieldError(k.node(), k.Field("id"), "required");
    if (!ids.insert(*id).second) {
      return k.Error("id", absl::StrCat("key id '", *id, "' is used twice"));
    }
    key.id = *id;
    ASSIGN_OR_RETURN(auto name, k.String("name"));
    if (!name || name->empty()) {
      return FieldError(k.node(), k.Field("name"), "required");
    }
    key.name = *name;
    ASSIGN_OR_RETURN(auto hash, k.String("key_sha256"));
    if (!hash) {
      return FieldError(k.node(), k.Field("key_sha256"),
                        "required (streamgate --hash-key prints it)");
    }
    key.key_sha256 = absl::AsciiStrToLower(*hash);
    if (!IsLowerHex64(key.key_sha256)) {
      return k.Error("key_sha256",
                     "must be 64 hex characters (the SHA-256 of the key, "
                     "from streamgate --hash-key), not the key itself");
    }
    if (!hashes.insert(key.key_sha256).second) {
      return k.Error("key_sha256", "the same key is configured twice");
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

}  // namespace

absl::StatusOr<GrpcAdapterConfig> ParseGrpcAdapterConfig(
    const ConfigReader &root) {
  GrpcAdapterConfig config;
  RETURN_IF_ERROR(ParseGrpc(root, config.grpc));
  ASSIGN_OR_RETURN(config.api_keys, ParseApiKeys(root));
  return config;
}

}  // namespace streamgate
