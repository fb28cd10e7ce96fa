// The gateway's YAML configuration: parsing and every rule of spec 2 checked
// up front, so a bad config fails at start-up with one message naming the
// module and field (and line). Sink and adapter sections are kept as YAML and
// validated by their own factories. Plain values; not shared between threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "gateway/common/dead_letter_options.h"
#include "gateway/core/device_registry.h"
#include "gateway/spool/spool_options.h"
#include "yaml-cpp/yaml.h"

namespace streamgate {

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
  // TLS: empty cert_file = plaintext. client_ca_file turns on mutual TLS.
  // The files are re-read on SIGHUP (new connections use the new ones).
  struct {
    std::string cert_file, key_file, client_ca_file;
  } tls;
};

// One API key: the key itself is never in the config, only its SHA-256.
struct ApiKeyConfig {
  std::string id;
  std::string name;
  std::string key_sha256;  // hex, lower-case
};

struct QueueConfig {
  int64_t max_records = 65536;
  int64_t max_bytes = 32 << 20;
};

struct ModuleConfig {
  std::string id;
  std::string description;
  bool all_events = false;                    // subscribe_events has "*"
  std::vector<std::string> subscribe_events;  // without "*"
  absl::optional<std::string> bulk_data_label;
  bool use_uuid = false;
  std::string sink_type;
  YAML::Node sink;  // the whole `sink` map, for the sink's factory
  QueueConfig queue;
  // Set: the module's queue is a durable SpoolQueue (queue.* then unused).
  absl::optional<SpoolOptions> spool;
  int line = 0;     // 1-based line of the module in the file, 0 if unknown
};

// metrics: {listen}. Empty listen: no /metrics endpoint.
struct MetricsConfig {
  std::string listen;  // "127.0.0.1:9464"
};

struct GatewayConfig {
  GrpcConfig grpc;
  // Empty: calls are anonymous (trusted networks only).
  std::vector<ApiKeyConfig> api_keys;
  int64_t max_record_bytes = 1 << 20;  // data + partition key
  DeviceMap devices;
  std::vector<ModuleConfig> modules;
  YAML::Node mqtt;  // null: no MQTT input
  std::string log_level = "info";
  MetricsConfig metrics;
  // dead_letter: {path, max_bytes, keep}: where inputs rejected at the door
  // (MQTT and gRPC) are written. Unset: they are only logged and counted.
  absl::optional<DeadLetterOptions> dead_letter;
  absl::Duration shutdown_timeout = absl::Seconds(10);
};

// The config used when none is given: gRPC on 127.0.0.1:50051, one module
// forwarding every event and every bulk label to stdout.
const char* DefaultConfigYaml();

// `source` names the text in errors (a path, or "<default>").
absl::StatusOr<GatewayConfig> ParseConfig(const std::string& yaml_text,
                                          const std::string& source);
absl::StatusOr<GatewayConfig> LoadConfigFile(const std::string& path);

}  // namespace streamgate
