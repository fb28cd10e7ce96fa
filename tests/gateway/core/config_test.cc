// Config validation (gateway/core/config.h): one test per rule of spec 2 and the
// issue's config contract. Errors must name the module, the field and the
// YAML line; where the whole message is pinned it is written out by hand.
#include "gateway/core/config.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

// The top-level sections the built-in adapters own.
const std::vector<std::string> kTestAdapterSections = {"grpc", "api_keys", "mqtt"};

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Parses text that must be refused; returns the message.
std::string Err(const std::string& yaml,
                const std::vector<std::string>& sections = kTestAdapterSections) {
  auto c = ParseConfig(yaml, "test.yaml", sections);
  EXPECT_FALSE(c.ok()) << "accepted:\n" << yaml;
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

GatewayConfig Ok(const std::string& yaml) {
  auto c = ParseConfig(yaml, "test.yaml", kTestAdapterSections);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : GatewayConfig();
}

// A valid module, for configs whose error lies elsewhere.
constexpr char kModules[] =
    "modules:\n"
    "  - {id: m, subscribe_events: ['*'], sink: {type: stdout}}\n";

TEST(ParseConfigTest, IssueExampleParses) {
  GatewayConfig c = Ok(R"(grpc:
  listen: "127.0.0.1:50051"
devices:                      # the device registry
  - {id: 42, home_id: 7, class: thermostat}
modules:
  - id: archive
    description: every event and the telemetry bulk data, to a file
    subscribe_events: ["*"]   # or a list of event types
    bulk_data_label: telemetry
    use_uuid: false
    sink: {type: file, path: /var/lib/streamgate/archive.jsonl}
  - id: console
    subscribe_events: ["alarm"]
    sink: {type: stdout}
)");
  ASSERT_EQ(c.devices.size(), 1u);
  EXPECT_EQ(c.devices.at(42).home_id, 7);
  EXPECT_EQ(c.devices.at(42).device_class, "thermostat");
  ASSERT_EQ(c.modules.size(), 2u);
  const ModuleConfig& a = c.modules[0];
  EXPECT_EQ(a.id, "archive");
  EXPECT_EQ(a.description, "every event and the telemetry bulk data, to a file");
  EXPECT_TRUE(a.all_events);
  EXPECT_TRUE(a.subscribe_events.empty());
  EXPECT_EQ(a.bulk_data_label, absl::optional<std::string>("telemetry"));
  EXPECT_FALSE(a.use_uuid);
  EXPECT_EQ(a.sink_type, "file");
  EXPECT_EQ(a.sink["path"].as<std::string>(), "/var/lib/streamgate/archive.jsonl");
  EXPECT_EQ(a.line, 6);
  const ModuleConfig& b = c.modules[1];
  EXPECT_FALSE(b.all_events);
  EXPECT_EQ(b.subscribe_events, std::vector<std::string>{"alarm"});
  EXPECT_FALSE(b.bulk_data_label.has_value());
  EXPECT_EQ(b.sink_type, "stdout");
  // Defaults.
  EXPECT_EQ(c.max_record_bytes, 1 << 20);
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(b.queue.max_records, 65536);
}

TEST(ParseConfigTest, EmbeddedDefaultParses) {
  GatewayConfig c = Ok(DefaultConfigYaml());
  ASSERT_EQ(c.modules.size(), 1u);
  EXPECT_TRUE(c.modules[0].all_events);
  EXPECT_EQ(c.modules[0].bulk_data_label, absl::optional<std::string>("*"));
  EXPECT_EQ(c.modules[0].sink_type, "stdout");
  EXPECT_TRUE(c.devices.empty());
}

TEST(ParseConfigTest, SourceNamedInErrors) {
  auto c = ParseConfig("", "/etc/streamgate.yaml", kTestAdapterSections);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()),
              StartsWith("config /etc/streamgate.yaml: "));
}

// --- module id ---------------------------------------------------------------

TEST(ModuleIdRuleTest, Charset) {
  EXPECT_EQ(Err("modules:\n"
                "  - id: bad id!\n"
                "    subscribe_events: ['*']\n"
                "    sink: {type: stdout}\n"),
            "config test.yaml: modules[0].id (line 2): 'bad id!' must match "
            "[A-Za-z0-9_-]{1,64}");
  EXPECT_THAT(Err("modules:\n  - {id: a.b, subscribe_events: ['*'], sink: {type: stdout}}\n"),
              HasSubstr("modules[0].id"));
  EXPECT_THAT(Err("modules:\n  - {id: \"caf\xc3\xa9\", subscribe_events: ['*'], sink: {type: stdout}}\n"),
              HasSubstr("modules[0].id"));
  Ok("modules:\n  - {id: Az09_-x, subscribe_events: ['*'], sink: {type: stdout}}\n");
}

TEST(ModuleIdRuleTest, Length) {
  const std::string id64(64, 'a'), id65(65, 'a');
  Ok("modules:\n  - {id: " + id64 + ", subscribe_events: ['*'], sink: {type: stdout}}\n");
  EXPECT_THAT(Err("modules:\n  - {id: " + id65 +
                  ", subscribe_events: ['*'], sink: {type: stdout}}\n"),
              AllOf(HasSubstr("modules[0].id (line 2)"), HasSubstr(id65)));
  EXPECT_THAT(Err("modules:\n  - {id: '', subscribe_events: ['*'], sink: {type: stdout}}\n"),
              HasSubstr("modules[0].id (line 2)"));
}

TEST(ModuleIdRuleTest, Missing) {
  EXPECT_EQ(Err("modules:\n"
                "  - subscribe_events: ['*']\n"
                "    sink: {type: stdout}\n"),
            "config test.yaml: modules[0].id (line 2): required");
}

TEST(ModuleIdRuleTest, Duplicate) {
  EXPECT_EQ(Err("modules:\n"
                "  - {id: a, subscribe_events: ['*'], sink: {type: stdout}}\n"
                "  - {id: b, subscribe_events: ['*'], sink: {type: stdout}}\n"
                "  - {id: a, bulk_data_label: x, sink: {type: stdout}}\n"),
            "config test.yaml: modules[2].id (line 4): module id 'a' is used twice");
}

// --- subscriptions -----------------------------------------------------------

TEST(SubscriptionRuleTest, NeedsEventsOrLabel) {
  EXPECT_EQ(Err("modules:\n"
                "  - id: lonely\n"
                "    use_uuid: true\n"
                "    sink: {type: stdout}\n"),
            "config test.yaml: module 'lonely': subscribe_events (line 2): a "
            "module needs subscribe_events or bulk_data_label (or both)");
}

TEST(SubscriptionRuleTest, LabelAloneIsEnough) {
  GatewayConfig c = Ok("modules:\n  - {id: b, bulk_data_label: t, sink: {type: stdout}}\n");
  EXPECT_FALSE(c.modules[0].all_events);
  EXPECT_TRUE(c.modules[0].subscribe_events.empty());
}

TEST(SubscriptionRuleTest, EmptyList) {
  EXPECT_EQ(Err("modules:\n"
                "  - id: m\n"
                "    subscribe_events: []\n"
                "    bulk_data_label: t\n"
                "    sink: {type: stdout}\n"),
            "config test.yaml: module 'm': subscribe_events (line 3): is empty "
            "(list event types, or \"*\" for every event)");
}

TEST(SubscriptionRuleTest, NotAList) {
  EXPECT_THAT(Err("modules:\n"
                  "  - id: m\n"
                  "    subscribe_events: alarm\n"
                  "    sink: {type: stdout}\n"),
              AllOf(HasSubstr("module 'm'"), HasSubstr("subscribe_events (line 3)"),
                    HasSubstr("list")));
}

TEST(SubscriptionRuleTest, EmptyEventType) {
  EXPECT_EQ(Err("modules:\n"
                "  - id: m\n"
                "    subscribe_events:\n"
                "      - alarm\n"
                "      - \"\"\n"
                "    sink: {type: stdout}\n"),
            "config test.yaml: module 'm': subscribe_events[1] (line 5): must "
            "be a non-empty event type");
  EXPECT_THAT(Err("modules:\n  - {id: m, subscribe_events: [~], sink: {type: stdout}}\n"),
              HasSubstr("subscribe_events[0]"));
  EXPECT_THAT(Err("modules:\n  - {id: m, subscribe_events: [{a: 1}], sink: {type: stdout}}\n"),
              HasSubstr("subscribe_events[0]"));
}

TEST(SubscriptionRuleTest, DuplicateEventType) {
  EXPECT_EQ(Err("modules:\n"
                "  - id: m\n"
                "    subscribe_events: [alarm, fire,\n"
                "                       alarm]\n"
                "    sink: {type: stdout}\n"),
            "config test.yaml: module 'm': subscribe_events[2] (line 4): "
            "'alarm' listed twice");
  EXPECT_THAT(Err("modules:\n  - {id: m, subscribe_events: ['*', '*'], sink: {type: stdout}}\n"),
              HasSubstr("'*' listed twice"));
}

TEST(SubscriptionRuleTest, StarWithOtherTypes) {
  GatewayConfig c = Ok("modules:\n  - {id: m, subscribe_events: ['*', alarm], sink: {type: stdout}}\n");
  EXPECT_TRUE(c.modules[0].all_events);
  EXPECT_EQ(c.modules[0].subscribe_events, std::vector<std::string>{"alarm"});
}

TEST(SubscriptionRuleTest, EmptyLabel) {
  EXPECT_EQ(Err("modules:\n"
                "  - id: m\n"
                "    bulk_data_label: \"\"\n"
                "    sink: {type: stdout}\n"),
            "config test.yaml: module 'm': bulk_data_label (line 3): must not be empty");
  EXPECT_THAT(Err("modules:\n  - {id: m, bulk_data_label: [a], sink: {type: stdout}}\n"),
              AllOf(HasSubstr("module 'm'"), HasSubstr("bulk_data_label")));
}

// --- unknown keys ------------------------------------------------------------

TEST(UnknownKeyRuleTest, TopLevel) {
  EXPECT_THAT(Err(std::string(kModules) + "modulez: []\n"),
              AllOf(StartsWith("config test.yaml: modulez (line 3): unknown field"),
                    HasSubstr("modules")));
}

TEST(UnknownKeyRuleTest, Module) {
  EXPECT_THAT(Err("modules:\n"
                  "  - id: m\n"
                  "    subscribe_events: ['*']\n"
                  "    subscribe_event: [x]\n"
                  "    sink: {type: stdout}\n"),
              StartsWith("config test.yaml: module 'm': subscribe_event (line 4): "
                         "unknown field"));
}


TEST(UnknownKeyRuleTest, Limits) {
  EXPECT_THAT(Err("limits:\n  max_record_byte: 5\n" + std::string(kModules)),
              StartsWith("config test.yaml: limits.max_record_byte (line 2): unknown field"));
}

TEST(UnknownKeyRuleTest, Devices) {
  EXPECT_THAT(Err("devices:\n  - {id: 1, hom_id: 2}\n" + std::string(kModules)),
              StartsWith("config test.yaml: devices[0].hom_id (line 2): unknown field"));
}

TEST(UnknownKeyRuleTest, Queue) {
  EXPECT_THAT(Err("modules:\n"
                  "  - id: m\n"
                  "    subscribe_events: ['*']\n"
                  "    queue:\n"
                  "      max_record: 5\n"
                  "    sink: {type: stdout}\n"),
              StartsWith("config test.yaml: module 'm': queue.max_record (line 5): "
                         "unknown field"));
}

// --- sink --------------------------------------------------------------------

TEST(SinkRuleTest, Missing) {
  EXPECT_EQ(Err("modules:\n"
                "  - id: m\n"
                "    subscribe_events: ['*']\n"),
            "config test.yaml: module 'm': sink (line 2): required (e.g. {type: stdout})");
}

TEST(SinkRuleTest, MissingType) {
  EXPECT_EQ(Err("modules:\n"
                "  - id: m\n"
                "    subscribe_events: ['*']\n"
                "    sink:\n"
                "      path: /tmp/x\n"),
            "config test.yaml: module 'm': sink.type (line 5): required "
            "(kinesis, file or stdout)");
  EXPECT_THAT(Err("modules:\n  - {id: m, subscribe_events: ['*'], sink: {type: ''}}\n"),
              HasSubstr("module 'm': sink.type"));
}

TEST(SinkRuleTest, NotAMap) {
  EXPECT_THAT(Err("modules:\n  - {id: m, subscribe_events: ['*'], sink: stdout}\n"),
              AllOf(HasSubstr("module 'm': sink (line 2)"), HasSubstr("map")));
}

// --- wrong types and ranges ----------------------------------------------------

TEST(TypeRuleTest, UseUuidMustBeBool) {
  EXPECT_EQ(Err("modules:\n"
                "  - id: m\n"
                "    subscribe_events: ['*']\n"
                "    use_uuid: maybe\n"
                "    sink: {type: stdout}\n"),
            "config test.yaml: module 'm': use_uuid (line 4): must be true or false");
  EXPECT_TRUE(Ok("modules:\n  - {id: m, subscribe_events: ['*'], use_uuid: true, "
                 "sink: {type: stdout}}\n").modules[0].use_uuid);
}

TEST(TypeRuleTest, MaxRecordBytesRange) {
  EXPECT_EQ(Err("limits:\n  max_record_bytes: -1\n" + std::string(kModules)),
            "config test.yaml: limits.max_record_bytes (line 2): must be between "
            "1 and 10485760, got -1");
  EXPECT_THAT(Err("limits:\n  max_record_bytes: 10485761\n" + std::string(kModules)),
              HasSubstr("limits.max_record_bytes (line 2)"));
  EXPECT_THAT(Err("limits:\n  max_record_bytes: 0\n" + std::string(kModules)),
              HasSubstr("limits.max_record_bytes (line 2)"));
  EXPECT_THAT(Err("limits:\n  max_record_bytes: 1.5\n" + std::string(kModules)),
              HasSubstr("limits.max_record_bytes (line 2): must be an integer"));
  EXPECT_THAT(Err("limits:\n  max_record_bytes: lots\n" + std::string(kModules)),
              HasSubstr("must be an integer"));
  EXPECT_EQ(Ok("limits:\n  max_record_bytes: 10485760\n" + std::string(kModules))
                .max_record_bytes, 10485760);
  EXPECT_EQ(Ok("limits:\n  max_record_bytes: 1\n" + std::string(kModules))
                .max_record_bytes, 1);
}

TEST(TypeRuleTest, QueueLimits) {
  EXPECT_THAT(Err("modules:\n"
                  "  - id: m\n"
                  "    subscribe_events: ['*']\n"
                  "    queue: {max_records: 0}\n"
                  "    sink: {type: stdout}\n"),
              StartsWith("config test.yaml: module 'm': queue.max_records (line 4): "
                         "must be between 1 and"));
  GatewayConfig c = Ok("modules:\n  - {id: m, subscribe_events: ['*'], "
                       "queue: {max_records: 7, max_bytes: 4096}, sink: {type: stdout}}\n");
  EXPECT_EQ(c.modules[0].queue.max_records, 7);
  EXPECT_EQ(c.modules[0].queue.max_bytes, 4096);
}

// --- devices -----------------------------------------------------------------

TEST(DevicesRuleTest, MissingId) {
  EXPECT_EQ(Err("devices:\n  - {home_id: 7}\n" + std::string(kModules)),
            "config test.yaml: devices[0].id (line 2): required (a positive integer)");
}

TEST(DevicesRuleTest, MissingHomeId) {
  EXPECT_EQ(Err("devices:\n  - {id: 1, home_id: 2}\n  - {id: 3, class: lamp}\n" +
                std::string(kModules)),
            "config test.yaml: devices[1].home_id (line 3): required (a positive integer)");
}

TEST(DevicesRuleTest, DuplicateId) {
  EXPECT_EQ(Err("devices:\n  - {id: 42, home_id: 7}\n  - {id: 42, home_id: 8}\n" +
                std::string(kModules)),
            "config test.yaml: devices[1].id (line 3): device 42 is listed twice");
}

TEST(DevicesRuleTest, NonPositive) {
  EXPECT_THAT(Err("devices:\n  - {id: 0, home_id: 7}\n" + std::string(kModules)),
              HasSubstr("devices[0].id (line 2): must be between 1 and"));
  EXPECT_THAT(Err("devices:\n  - {id: -4, home_id: 7}\n" + std::string(kModules)),
              HasSubstr("devices[0].id (line 2)"));
  EXPECT_THAT(Err("devices:\n  - {id: 4, home_id: 0}\n" + std::string(kModules)),
              HasSubstr("devices[0].home_id (line 2)"));
  EXPECT_THAT(Err("devices:\n  - {id: 4, home_id: -1}\n" + std::string(kModules)),
              HasSubstr("devices[0].home_id (line 2)"));
}

TEST(DevicesRuleTest, NotAList) {
  EXPECT_THAT(Err("devices: {id: 1, home_id: 2}\n" + std::string(kModules)),
              HasSubstr("devices (line 1): must be a list"));
}

// --- log level, modules list, duplicate keys ----------------------------------------------




TEST(LogLevelRuleTest, Unknown) {
  EXPECT_EQ(Err("log_level: verbose\n" + std::string(kModules)),
            "config test.yaml: log_level (line 1): must be one of trace, debug, "
            "info, warn, error, critical, off");
  EXPECT_EQ(Ok("log_level: debug\n" + std::string(kModules)).log_level, "debug");
}

TEST(ModulesRuleTest, MissingOrEmpty) {
  EXPECT_THAT(Err("log_level: info\n"), HasSubstr("modules"));
  EXPECT_THAT(Err("modules: []\n"), HasSubstr("modules (line 1): must be a non-empty list"));
  EXPECT_THAT(Err("modules: {id: m}\n"), HasSubstr("modules (line 1)"));
}

TEST(ModulesRuleTest, ModuleNotAMap) {
  EXPECT_THAT(Err("modules:\n  - just-a-string\n"),
              HasSubstr("modules[0] (line 2): must be a map"));
}

// --- file level ----------------------------------------------------------------

TEST(FileRuleTest, YamlSyntaxErrorNamesTheLine) {
  const std::string msg = Err("grpc:\n"
                              "  listen: 127.0.0.1:1\n"
                              "modules:\n"
                              "  - id: m\n"
                              "    subscribe_events: [a, b\n"
                              "    sink: {type: stdout}\n"
                              "oops: : :\n");
  EXPECT_THAT(msg, StartsWith("config test.yaml: YAML syntax error at line "));
  // Pin the line yaml-cpp reports for a simpler, unambiguous error.
  EXPECT_THAT(Err("log_level: info\n"
                  "modules:\n"
                  "  - id: m\n"
                  "     bad_indent: x\n"),
              StartsWith("config test.yaml: YAML syntax error at line 4"));
}

TEST(FileRuleTest, EmptyFile) {
  EXPECT_EQ(Err(""), "config test.yaml: the file is empty (modules are required)");
  EXPECT_EQ(Err("# only a comment\n\n"),
            "config test.yaml: the file is empty (modules are required)");
}

TEST(FileRuleTest, NotAMap) {
  EXPECT_THAT(Err("- a\n- b\n"), HasSubstr("must be a map"));
  EXPECT_THAT(Err("just text\n"), HasSubstr("must be a map"));
}

TEST(FileRuleTest, LoadConfigFileMissing) {
  auto c = LoadConfigFile("/nonexistent/streamgate/config.yaml", kTestAdapterSections);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()),
              HasSubstr("/nonexistent/streamgate/config.yaml"));
}

}  // namespace
}  // namespace streamgate

namespace streamgate {
namespace {

TEST(DuplicateKeyRuleTest, TopLevelKeyNamedWithBothLines) {
  const std::string msg = Err(
      "api_keys: []\n" + std::string(kModules) +
      "api_keys:\n  - {id: k, name: n, key_sha256: x}\n");
  EXPECT_THAT(msg, HasSubstr("duplicate key 'api_keys' (lines 1 and "));
}

TEST(DuplicateKeyRuleTest, NestedKeyNamedWithItsPath) {
  const std::string msg = Err(R"(modules:
  - id: a
    subscribe_events: ["*"]
    sink:
      type: file
      path: /tmp/a
      path: /tmp/b
)");
  EXPECT_EQ(msg,
            "config test.yaml: modules[0].sink.path: duplicate key 'path' "
            "(lines 6 and 7)");
}

TEST(UnknownKeyRuleTest, AdapterSectionsAreLeftToTheirOwners) {
  EXPECT_THAT(Err("mqtt: {}\n" + std::string(kModules), {}),
              HasSubstr("mqtt (line 1): unknown field"));
  EXPECT_TRUE(ParseConfig("mqtt: {anything: 1}\n" + std::string(kModules),
                          "t", {"mqtt"}).ok());
}

}  // namespace
}  // namespace streamgate
