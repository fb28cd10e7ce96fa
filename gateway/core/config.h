// The gateway's YAML configuration: the core's sections (modules, devices,
// limits, metrics, dead_letter, log_level, shutdown) parsed with every rule
// of spec 2 checked up front, so a bad config fails at start-up with a
// message naming the module, field and line of every error found (one line
// each: parsing goes on past an error wherever the rest still makes sense).
// Sink sections and the adapters' top-level sections are kept as YAML and
// validated by their own factories. Duplicate keys anywhere are refused. Plain
// values; not shared between threads.
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
  // Where the config came from (a path, or "<default>"), for errors.
  std::string source;
  // The whole document: adapters read their own sections from it
  // (AdapterFactory::sections).
  YAML::Node root;
  int64_t max_record_bytes = 1 << 20;  // data + partition key
  DeviceMap devices;
  std::vector<ModuleConfig> modules;
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

// `source` names the text in errors (a path, or "<default>");
// `adapter_sections` are the top-level keys adapters own
// (AdapterRegistry::Sections), left for their factories to check.
absl::StatusOr<GatewayConfig> ParseConfig(
    const std::string& yaml_text, const std::string& source,
    const std::vector<std::string>& adapter_sections);
absl::StatusOr<GatewayConfig> LoadConfigFile(
    const std::string& path, const std::vector<std::string>& adapter_sections);

// A config with every error found ("config SOURCE: ..." each); `config`
// holds what parsed (modules with errors left out), so the caller can go
// on checking it (--check-config builds the sinks and adapters too).
struct ParsedConfig {
  GatewayConfig config;
  std::vector<std::string> errors;
};
// An error only when the text is not a config at all (YAML syntax, not a
// map, empty). ParseConfig is this with the errors joined by newlines.
absl::StatusOr<ParsedConfig> ParseConfigCollecting(
    const std::string& yaml_text, const std::string& source,
    const std::vector<std::string>& adapter_sections);
// The file's text; NOT_FOUND "config PATH: cannot be read".
absl::StatusOr<std::string> ReadConfigFile(const std::string& path);

// Parses one entry of `modules:` (gateway/core/module_config.cc).
absl::Status ParseModule(const YAML::Node& node, size_t index, ModuleConfig& m);

}  // namespace streamgate
