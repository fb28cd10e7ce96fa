// mqtt.mappings and mqtt.mode_topics: filter matching, filter validation,
// and every config rule with the field it names.
#include "adapters/mqtt/topic_mapping.h"

#include <string>

#include "adapters/mqtt/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<MqttConfig> Parse(const std::string& body) {
  const ConfigReader root(
      YAML::Load("mqtt:\n  host: b\n  client_id: g\n" + body), "");
  absl::StatusOr<ConfigReader> section = root.Section("mqtt", false);
  if (!section.ok()) return section.status();
  return ParseMqttConfig(*section);
}

std::string Error(const std::string& body) {
  auto c = Parse(body);
  if (c.ok()) return "OK";
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

TEST(TopicMatchesTest, MqttRules) {
  EXPECT_TRUE(TopicMatches("sensors/+", "sensors/1"));
  EXPECT_FALSE(TopicMatches("sensors/+", "sensors/1/x"));
  EXPECT_FALSE(TopicMatches("sensors/+", "sensors"));
  EXPECT_TRUE(TopicMatches("sensors/+", "sensors/"));
  EXPECT_TRUE(TopicMatches("sensors/#", "sensors"));
  EXPECT_TRUE(TopicMatches("sensors/#", "sensors/a/b/c"));
  EXPECT_FALSE(TopicMatches("sensors/#", "sensorsx/a"));
  EXPECT_TRUE(TopicMatches("#", "a/b"));
  EXPECT_TRUE(TopicMatches("+/+", "/x"));
  EXPECT_TRUE(TopicMatches("factory/+/+/telemetry", "factory/a/7/telemetry"));
  EXPECT_FALSE(TopicMatches("factory/+/+/telemetry", "factory/a/7/status"));
  EXPECT_TRUE(TopicMatches("/devices/+/event", "/devices/7/event"));
  EXPECT_FALSE(TopicMatches("/devices/+/event", "devices/7/event"));
  EXPECT_TRUE(TopicMatches("a/b", "a/b"));
  EXPECT_FALSE(TopicMatches("a/b", "a/bc"));
  EXPECT_FALSE(TopicMatches("a/b", "a"));
  // '$' topics are not matched by a leading wildcard.
  EXPECT_FALSE(TopicMatches("#", "$SYS/x"));
  EXPECT_FALSE(TopicMatches("+/x", "$SYS/x"));
  EXPECT_TRUE(TopicMatches("$SYS/#", "$SYS/x"));
}

TEST(FiltersOverlapTest, SomeTopicMatchesBoth) {
  EXPECT_TRUE(FiltersOverlap("sensors/+", "sensors/#"));
  EXPECT_TRUE(FiltersOverlap("sensors/#", "sensors"));
  EXPECT_TRUE(FiltersOverlap("sensors", "sensors/#"));
  EXPECT_TRUE(FiltersOverlap("#", "anything/at/all"));
  EXPECT_TRUE(FiltersOverlap("+/x", "a/+"));
  EXPECT_TRUE(FiltersOverlap("/devices/+/event", "/devices/7/event"));
  EXPECT_TRUE(FiltersOverlap("/devices/+/event", "+/+/+/+"));
  EXPECT_FALSE(FiltersOverlap("/devices/+/event", "+/+/+"));  // 4 levels
  EXPECT_TRUE(FiltersOverlap("a/b", "a/b"));
  EXPECT_FALSE(FiltersOverlap("sensors/+", "sensors"));
  EXPECT_FALSE(FiltersOverlap("sensors/+", "sensors/+/x"));
  EXPECT_FALSE(FiltersOverlap("sensors/+", "factory/+"));
  EXPECT_FALSE(FiltersOverlap("/devices/+/event", "devices/+/event"));
  EXPECT_FALSE(FiltersOverlap("/devices/+/bulkData/+", "/devices/+/event"));
  EXPECT_FALSE(FiltersOverlap("a/b", "a/c"));
}

TEST(TopicFilterErrorTest, Validates) {
  EXPECT_EQ(TopicFilterError("sensors/+"), "");
  EXPECT_EQ(TopicFilterError("a/#"), "");
  EXPECT_EQ(TopicFilterError("#"), "");
  EXPECT_EQ(TopicFilterError(""), "must not be empty");
  EXPECT_EQ(TopicFilterError("a/#/b"), "'#' must be the last level");
  EXPECT_EQ(TopicFilterError("a/b#"), "'+' and '#' must be whole levels");
  EXPECT_EQ(TopicFilterError("a+/b"), "'+' and '#' must be whole levels");
  EXPECT_EQ(TopicFilterError(std::string("a\0b", 3)), "must not contain NUL");
  EXPECT_EQ(TopicFilterError(std::string(65536, 'a')),
            "must be at most 65535 bytes");
}

TEST(TopicMappingConfigTest, ParsesBothKinds) {
  auto c = Parse(R"(  mappings:
    - topic: "sensors/+"
      as: record
      label: sensors
      device_id: "${topic(2)}"
    - topic: "factory/+/+/telemetry"
      as: event
      event_type: "${topic(4)}"
      device_id: "${payload.id}"
    - topic: "raw/#"
      as: record
      label: raw
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->mode_topics);
  ASSERT_EQ(c->mappings.size(), 3u);
  EXPECT_EQ(c->mappings[0].as, TopicMapping::As::kRecord);
  EXPECT_EQ(c->mappings[0].label, "sensors");
  EXPECT_EQ(c->mappings[0].device_id->text(), "${topic(2)}");
  EXPECT_EQ(c->mappings[1].as, TopicMapping::As::kEvent);
  EXPECT_EQ(c->mappings[1].event_type->text(), "${topic(4)}");
  EXPECT_FALSE(c->mappings[2].device_id.has_value());
  EXPECT_THAT(SubscriptionFilters(*c),
              ElementsAre("/devices/+/event", "/devices/+/bulkData/+",
                          "sensors/+", "factory/+/+/telemetry", "raw/#"));
  EXPECT_EQ(FindMapping(c->mappings, "factory/x/9/telemetry"), &c->mappings[1]);
  EXPECT_EQ(FindMapping(c->mappings, "other/1"), nullptr);
}

TEST(TopicMappingConfigTest, ModeTopicsOffAndSharedGroup) {
  auto c = Parse(R"(  mode_topics: false
  shared_group: g1
  mappings:
    - {topic: "sensors/+", as: record, label: s}
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(SubscriptionFilters(*c), ElementsAre("$share/g1/sensors/+"));
  EXPECT_EQ(Error("  mode_topics: false\n"),
            "mqtt.mode_topics (line 4): false leaves nothing to subscribe to "
            "(add mappings)");
  EXPECT_THAT(Error("  mode_topics: perhaps\n"),
              HasSubstr("mqtt.mode_topics (line 4): must be true or false"));
}

TEST(TopicMappingConfigTest, RulesNameTheMappingAndField) {
  auto mapping = [](const std::string& fields) {
    return "  mappings:\n    - " + fields + "\n";
  };
  EXPECT_EQ(Error("  mappings: {topic: a}\n"),
            "mqtt.mappings (line 4): must be a list");
  EXPECT_THAT(Error("  mappings:\n    - a\n"), HasSubstr("mqtt.mappings[0]"));
  EXPECT_EQ(Error(mapping("{as: record, label: l}")),
            "mqtt.mappings[0].topic (line 5): required");
  EXPECT_EQ(Error(mapping("{topic: 'a/#/b', as: record, label: l}")),
            "mqtt.mappings[0].topic (line 5): '#' must be the last level");
  EXPECT_THAT(Error(mapping("{topic: '$share/g/a', as: record, label: l}")),
              HasSubstr("mqtt.mappings[0].topic (line 5): give the filter "
                        "without $share/"));
  EXPECT_EQ(Error(mapping("{topic: a, as: blob, label: l}")),
            "mqtt.mappings[0].as (line 5): must be record or event");
  EXPECT_THAT(Error(mapping("{topic: a, label: l}")),
              HasSubstr("mqtt.mappings[0].as (line 5): required"));
  EXPECT_THAT(Error(mapping("{topic: a, as: record}")),
              HasSubstr("mqtt.mappings[0].label (line 5): required for as: "
                        "record"));
  EXPECT_THAT(Error(mapping("{topic: a, as: record, label: l, event_type: t}")),
              HasSubstr("mqtt.mappings[0].event_type (line 5): only for as: "
                        "event"));
  EXPECT_THAT(
      Error(mapping("{topic: a, as: event, device_id: '1', label: l, "
                    "event_type: t}")),
      HasSubstr("mqtt.mappings[0].label (line 5): only for as: record"));
  EXPECT_THAT(Error(mapping("{topic: a, as: event, device_id: '1'}")),
              HasSubstr("mqtt.mappings[0].event_type (line 5): required"));
  EXPECT_THAT(Error(mapping("{topic: a, as: event, event_type: t}")),
              HasSubstr("mqtt.mappings[0].device_id (line 5): required for "
                        "as: event"));
  EXPECT_EQ(
      Error(mapping("{topic: 'a/+', as: record, label: l, device_id: "
                    "'${topic(3)}'}")),
      "mqtt.mappings[0].device_id (line 5): ${topic(3)}: the topic filter has "
      "2 levels");
  EXPECT_EQ(
      Error(mapping("{topic: 'a/+', as: record, label: l, device_id: "
                    "'${newuuid()}'}")),
      "mqtt.mappings[0].device_id (line 5): ${newuuid()} is not available "
      "here (allowed: ${topic()}, ${topic(N)}, ${payload.FIELD})");
  EXPECT_THAT(Error(mapping("{topic: a, as: record, label: l, device_id: "
                            "'${clientid()}'}")),
              HasSubstr("does not tell subscribers the publisher's client id"));
  EXPECT_THAT(
      Error(mapping("{topic: a, as: record, label: l, device_id: '07'}")),
      HasSubstr("mqtt.mappings[0].device_id (line 5): a fixed device "
                "id must be a positive decimal integer"));
  EXPECT_THAT(Error(mapping("{topic: a, as: record, label: l, device_id: ''}")),
              HasSubstr("device_id (line 5): must not be empty"));
  EXPECT_THAT(Error(mapping("{topic: a, as: record, label: l, colour: red}")),
              HasSubstr("mqtt.mappings[0].colour (line 5): unknown field"));
  EXPECT_EQ(Error("  mappings:\n    - {topic: a, as: record, label: l}\n"
                  "    - {topic: a, as: record, label: m}\n"),
            "mqtt.mappings[1].topic (line 6): mapped twice");
  // Overlapping filters would be delivered twice by an MQTT 5 broker.
  EXPECT_EQ(
      Error("  mappings:\n    - {topic: 'sensors/+', as: record, label: l}\n"
            "    - {topic: 'sensors/#', as: record, label: m}\n"),
      "mqtt.mappings[1].topic (line 6): overlaps mappings[0] "
      "('sensors/+'): the broker would deliver a message on both twice");
  EXPECT_EQ(Error(mapping("{topic: '#', as: record, label: l}")),
            "mqtt.mappings[0].topic (line 5): overlaps MODE's "
            "'/devices/+/event' (set mode_topics: false, or narrow the "
            "filter)");
  EXPECT_THAT(Error(mapping("{topic: '/devices/+/bulkData/x', as: record, "
                            "label: l}")),
              HasSubstr("overlaps MODE's '/devices/+/bulkData/+'"));
  EXPECT_EQ(Error("  mode_topics: false\n" +
                  mapping("{topic: '#', as: record, label: l}")),
            "OK");
  // '#' filters may ask for any level.
  EXPECT_EQ(Error(mapping("{topic: 'a/#', as: record, label: l, device_id: "
                          "'${topic(9)}'}")),
            "OK");
}

}  // namespace
}  // namespace streamgate
