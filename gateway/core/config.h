// The gateway's YAML configuration: the core's sections (modules, devices,
// The gateway's YAML configuration: the core's sections (modules, devices,
// devices_file, default_home_id, limits, metrics, dead_letter, log_level,
// shutdown) parsed with every rule of spec 2 checked up front, so a bad
// config fails at start-up with a message naming the module, field and line
// of every error found (one line each: parsing goes on past an error
// wherever the rest still makes sense). Sink sections and the adapters'
// top-level sections are kept as YAML and validated by their own factories.
// Duplicate keys anywhere are refused. Plain values; not shared between
// threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "gateway/common/dead_letter_options.h"
#include "gateway/common/template.h"
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
  // partition_key: a template (gateway/core/partition_key.h); unset: spec 3.
  absl::optional<Template> partition_key;
  std::string sink_type;
  YAML::Node sink;  // the whole `sink` map, for the sink's factory
  QueueConfig queue;
  // Set: the module's queue is a durable SpoolQueue (queue.* then unused).
  absl::optional<SpoolOptions> spool;
  int line = 0;     // 1-based line of the module in the file, 0 if unknown
};

// limits: bounds on what one input may cost and on the process itself
// (README "Security and limits"). max_record_bytes stays a GatewayConfig
// field of its own.
struct LimitsConfig {
  // Records one input (a call, a stream item, an MQTT message) may carry;
  // a MessagePack payload is refused as soon as it decodes one more.
  int64_t max_records_per_input = 10000;
  // The watchdog exits the process (code 3) when its resident memory
  // passes this; 0 = no bound.
  int64_t max_rss_bytes = 0;
  // How often the watchdog probes the gRPC listener and reads the RSS;
  // 0 turns the watchdog off.
  int64_t watchdog_interval_ms = 5000;
  // One probe's deadline, and how many failed probes in a row mean the
  // listener is wedged (generous: a busy gateway must not be restarted).
  int64_t watchdog_timeout_ms = 5000;
  int64_t watchdog_failures = 3;
};

// metrics: {listen}. Empty listen: no /metrics endpoint.
struct MetricsConfig {
  std::string listen;  // "127.0.0.1:9464"
};

struct GatewayConfig {
  // Where the config came from (a path, or "<default>"), for errors.
  std::string source;
  // The whole document: adapters read their own sections from it
  // (AdapterFactory::sections). The server drops it once they are built.
  YAML::Node root;
  int64_t max_record_bytes = 1 << 20;  // data + partition key
  LimitsConfig limits;
  // The device registry: the inline `devices:` list and the `devices_file`
  // together (an id in both is refused). Never null.
  std::shared_ptr<const DeviceTable> devices =
      std::make_shared<const DeviceTable>();
  // `devices_file` as opened: a relative path is taken from the config
  // file's folder. Empty when not set.
  std::string devices_file;
  // The home of a device the registry does not know, on every door (see
  // Ingester). Unset: such a device's events need their own home.
  absl::optional<int64_t> default_home_id;
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
