// The gRPC adapter's configuration: the top-level `grpc` section (listen
// address, message and memory bounds, keepalive, TLS files) and `api_keys`
// (the SHA-256 of each accepted key), both owned by GrpcAdapterFactory and
// read with ConfigReader. Every error names the field and its line
// ("grpc.listen (line 2): must be HOST:PORT, ...").
//
// Plain values; parsing is pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace streamgate {

class ConfigReader;  // gateway/api/config_reader.h

struct GrpcConfig {
  std::string listen = "127.0.0.1:50051";
  int64_t max_message_bytes = 4 << 20;
  // Keepalive pings and maximum connection age let load balancers rebalance
  // long-lived streams; 0 leaves gRPC's default.
  int64_t keepalive_time_ms = 0;
  int64_t keepalive_timeout_ms = 0;
  int64_t max_connection_age_ms = 0;
  int64_t max_connection_age_grace_ms = 0;
  // On SIGTERM the server keeps answering UNAVAILABLE (health NOT_SERVING)
  // this long before it closes, so balancers and clients move away cleanly.
  int64_t drain_grace_ms = 500;
  // Responses a Publish stream may have queued before it stops reading.
  int64_t stream_window = 256;
  // Memory bounds: concurrent calls per connection (HTTP/2
  // MAX_CONCURRENT_STREAMS), and the gRPC ResourceQuota every connection's
  // buffers draw from (past it gRPC shrinks read buffers and refuses new
  // calls with RESOURCE_EXHAUSTED instead of growing).
  int64_t max_concurrent_streams = 100;
  int64_t memory_limit_bytes = 256 << 20;
  // Issue 15: every other bound gRPC 1.51 offers (it has no fix for HTTP/2
  // rapid reset; README "Security and limits" says what fronts it).
  // A connection with no call for this long gets GOAWAY (0: never).
  int64_t max_connection_idle_ms = 300000;
  // Keepalive enforcement: a client pinging more often than this without
  // data earns a strike; past max_ping_strikes the connection is closed
  // (GOAWAY ENHANCE_YOUR_CALM "too_many_pings").
  int64_t keepalive_min_ping_interval_ms = 60000;
  int64_t keepalive_max_ping_strikes = 2;
  bool keepalive_permit_without_calls = false;
  // Request metadata (headers) per call; larger calls are refused.
  int64_t max_metadata_bytes = 16384;
  // A connection must finish its (TLS and HTTP/2) handshake within this.
  int64_t handshake_timeout_ms = 10000;
  // Threads gRPC may create for the synchronous services (reflection).
  int64_t max_threads = 16;
  // TLS: empty cert_file = plaintext. client_ca_file turns on mutual TLS.
  // The files are re-read on SIGHUP (new connections use the new ones).
  struct Tls {
    std::string cert_file, key_file, client_ca_file;
  } tls;
};

// One API key: the key itself is never in the config, only its SHA-256.
struct ApiKeyConfig {
  std::string id;
  std::string name;
  std::string key_sha256;  // hex, lower-case
};

struct GrpcAdapterConfig {
  GrpcConfig grpc;
  // Empty: calls are anonymous (trusted networks only).
  std::vector<ApiKeyConfig> api_keys;
};

// Reads `grpc` (absent or null: the defaults above) and `api_keys` (absent
// or null: none) from the document root. TLS files are only named here;
// they are read when the adapter starts.
absl::StatusOr<GrpcAdapterConfig> ParseGrpcAdapterConfig(
    const ConfigReader &root);

}  // namespace streamgate
