// Fuzz target: the config loader (ParseConfig, gateway/core/config.h) and the
// rest of start-up validation (Server::Create with the built-in sinks: each
// sink factory and the MQTT section). Neither may throw, crash or accept an
// inconsistent config.
//
// Server::Create does no network I/O, but the MQTT section opens the files
// it names (tls.*_file, password_file) to fail early; inputs naming any
// "*_file" skip Create so a run never reads arbitrary paths (/dev/zero).
//
// Invariants checked on every accepted config:
//  - at least one module; module ids match [A-Za-z0-9_-]{1,64}, unique;
//  - every module subscribes to something and has a sink type;
//  - limits are within their documented ranges;
//  - errors (of ParseConfig or Create) are INVALID_ARGUMENT with a message,
//    and never contain the MQTT password (replaced by a marker before
//    Create, so quoting look-alike text is not mistaken for a leak).
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "gateway/core/config.h"
#include "gateway/server/builtin.h"
#include "gateway/server/server.h"
#include "gateway/api/sink_registry.h"
#include "tests/fuzz/fuzz_check.h"

namespace {


bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void CheckConfig(const streamgate::GatewayConfig& c) {
  FUZZ_CHECK(!c.modules.empty(), "a config has at least one module");
  std::set<std::string> ids;
  for (const streamgate::ModuleConfig& m : c.modules) {
    FUZZ_CHECK(ValidId(m.id), "module ids match [A-Za-z0-9_-]{1,64}");
    FUZZ_CHECK(ids.insert(m.id).second, "module ids are unique");
    FUZZ_CHECK(m.all_events || !m.subscribe_events.empty() ||
                   m.bulk_data_label.has_value(),
               "every module subscribes to something");
    FUZZ_CHECK(!m.bulk_data_label || !m.bulk_data_label->empty(),
               "a bulk label is not empty");
    for (const std::string& t : m.subscribe_events) {
      FUZZ_CHECK(!t.empty() && t != "*", "event types are real names");
    }
    FUZZ_CHECK(!m.sink_type.empty(), "every module has a sink type");
    FUZZ_CHECK(m.sink.IsMap(), "the sink section is a map");
    FUZZ_CHECK(m.queue.max_records >= 1 && m.queue.max_bytes >= 1024,
               "queue limits are within range");
  }
  FUZZ_CHECK(c.max_record_bytes >= 1 && c.max_record_bytes <= (10 << 20),
             "limits.max_record_bytes is within range");
  FUZZ_CHECK(c.shutdown_timeout >= absl::ZeroDuration(),
             "shutdown timeout is not negative");
  for (size_t i = 0; i < c.devices->size(); ++i) {
    FUZZ_CHECK(c.devices->id_at(i) > 0 && c.devices->info_at(i).home_id > 0,
               "device and home ids are positive");
  }
}

// Replaces a scalar MQTT password with a marker no input contains, so a
// leak is told apart from an error that merely quotes text that happens to
// equal the password. Returns false when there is no password to track.
constexpr char kPasswordMarker[] = "Pw-marker-q7Zr";

bool MarkPassword(streamgate::GatewayConfig& c) {
  try {
    YAML::Node mqtt = c.root["mqtt"];
    if (mqtt.IsMap() && mqtt["password"].IsScalar()) {
      mqtt["password"] = kPasswordMarker;
      return true;
    }
  } catch (...) {
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const streamgate::SinkRegistry* sinks = [] {
    auto* r = new streamgate::SinkRegistry();
    streamgate::RegisterBuiltinSinks(*r);
    return r;
  }();
  static const streamgate::AdapterRegistry* adapters = [] {
    auto* r = new streamgate::AdapterRegistry();
    streamgate::RegisterBuiltinAdapters(*r);
    return r;
  }();
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = streamgate::ParseConfig(text, "<fuzz>", adapters->Sections());
  if (!config.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(config.status()),
               "config errors are INVALID_ARGUMENT");
    FUZZ_CHECK(!config.status().message().empty(), "config errors say why");
    return 0;
  }
  CheckConfig(*config);
  if (absl::StrContains(text, "_file")) return 0;  // see the header comment
  const bool marked =
      !absl::StrContains(text, kPasswordMarker) && MarkPassword(*config);
  auto gateway =
      streamgate::Server::Create(std::move(*config), *sinks, *adapters);
  if (!gateway.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(gateway.status()),
               "start-up validation errors are INVALID_ARGUMENT");
    FUZZ_CHECK(!gateway.status().message().empty(), "errors say why");
    FUZZ_CHECK(!marked || !absl::StrContains(gateway.status().message(),
                                             kPasswordMarker),
               "the MQTT password never appears in an error");
  }
  return 0;
}
