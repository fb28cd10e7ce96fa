// Config validation (gateway/core/config.h): one test per rule of spec 2 and the
// issue's config contract. Errors must name the module, the field and the
// YAML line; where the whole message is pinned it is written out by hand.
// (Types, ranges, devices, log level and file-level rules:
// config_rules_test.cc.)
#include "gateway/core/config.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/core/config_test_util.h"

namespace streamgate {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::Err;
using testing::kModules;
using testing::kTestAdapterSections;
using testing::Ok;

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
  ASSERT_EQ(c.devices->size(), 1u);
  ASSERT_TRUE(c.devices->Find(42).has_value());
  EXPECT_EQ(c.devices->Find(42)->home_id, 7);
  EXPECT_EQ(c.devices->Find(42)->device_class, "thermostat");
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
  EXPECT_EQ(c.devices->size(), 0u);
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

}  // namespace
}  // namespace streamgate
