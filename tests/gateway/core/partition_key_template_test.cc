// Partition-key templates (issue 14 item 3): config-time refusals naming the
// module and field, and the key every variable gives through the Ingester.
#include <regex>
#include <set>
#include <string>

#include "gateway/core/partition_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_input_source.h"
#include "tests/gateway/core/config_test_util.h"
#include "tests/gateway/core/test_pipeline.h"

namespace streamgate {
namespace {

using testing::Err;
using ::testing::HasSubstr;
using testing::TestPipeline;

const std::regex kUuidV4(
    "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

std::string Module(absl::string_view extra) {
  return absl::StrCat("modules:\n  - id: keyed\n    subscribe_events: ['*']\n",
                      extra, "    sink: {type: stdout}\n");
}

TEST(PartitionKeyConfigTest, BadTemplatesAreRefusedNamingModuleAndField) {
  EXPECT_EQ(
      Err(Module("    partition_key: \"${topic(0)}\"\n")),
      "config test.yaml: module 'keyed': partition_key (line 4): ${topic(0)}: "
      "the topic level must be 1..255");
  EXPECT_THAT(Err(Module("    partition_key: \"${clientid()}\"\n")),
              HasSubstr("module 'keyed': partition_key (line 4): "
                        "${clientid()} is not available"));
  EXPECT_THAT(Err(Module("    partition_key: \"${nope}\"\n")),
              HasSubstr("partition_key (line 4): ${nope} is not a known"));
  EXPECT_THAT(Err(Module("    partition_key: \"${device_id\"\n")),
              HasSubstr("partition_key (line 4): unclosed '${'"));
  EXPECT_THAT(Err(Module("    partition_key: \"\"\n")),
              HasSubstr("partition_key (line 4): must not be empty"));
  EXPECT_THAT(Err(Module("    partition_key: [a]\n")),
              HasSubstr("module 'keyed': partition_key"));
  EXPECT_THAT(
      Err(Module("    use_uuid: true\n    partition_key: \"${device_id}\"\n")),
      HasSubstr("partition_key (line 5): give either use_uuid or "
                "partition_key"));
  EXPECT_THAT(Err(Module("    partition_key: \"${label}\"\n")),
              HasSubstr("${label} cannot key events"));
  EXPECT_THAT(Err("modules:\n  - id: b\n    bulk_data_label: logs\n"
                  "    partition_key: \"${event_type}\"\n"
                  "    sink: {type: stdout}\n"),
              HasSubstr("module 'b': partition_key (line 4): ${event_type} "
                        "cannot key bulk data"));
}

TEST(PartitionKeyConfigTest, UnsetKeepsTheModeRule) {
  GatewayConfig c = testing::Ok(Module(""));
  ASSERT_EQ(c.modules.size(), 1u);
  EXPECT_FALSE(c.modules[0].partition_key.has_value());
}

constexpr char kConfig[] = R"(
devices:
  - {id: 42, home_id: 7}
modules:
  - id: by_device
    subscribe_events: ["*"]
    bulk_data_label: "*"
    partition_key: "${device_id}"
    sink: {type: stdout}
  - id: by_home
    subscribe_events: ["*"]
    bulk_data_label: "*"
    partition_key: "home-${home_id}"
    sink: {type: stdout}
  - id: by_type
    subscribe_events: ["*"]
    partition_key: "${event_type}/${device_id}"
    sink: {type: stdout}
  - id: by_label
    bulk_data_label: "*"
    partition_key: "${label}:${device_id}"
    sink: {type: stdout}
  - id: uuid
    subscribe_events: ["*"]
    bulk_data_label: "*"
    partition_key: "${newuuid()}"
    sink: {type: stdout}
  - id: default
    subscribe_events: ["*"]
    bulk_data_label: "*"
    sink: {type: stdout}
)";

enum { kByDevice, kByHome, kByType, kByLabel, kUuid, kDefault };

EventInput DeviceEvent(int64_t device) {
  EventInput e;
  e.event_type = "temp";
  e.data_json = R"({"c":1})";
  e.timestamp = absl::FromUnixSeconds(1700000000);
  e.origin_device_id = device;
  return e;
}

std::string OnlyKey(TestPipeline& p, int module) {
  OutBatch got = p.Drain(module);
  EXPECT_EQ(got.size(), 1u) << "module " << module;
  return got.empty() ? "" : got[0].partition_key;
}

TEST(PartitionKeyTemplateTest, EventVariables) {
  TestPipeline p(kConfig);
  ASSERT_TRUE(p.ingester().PublishEvents({DeviceEvent(42)}, {}).ok());
  EXPECT_EQ(OnlyKey(p, kByDevice), "42");
  EXPECT_EQ(OnlyKey(p, kByHome), "home-7");  // from the registry
  EXPECT_EQ(OnlyKey(p, kByType), "temp/42");
  EXPECT_TRUE(std::regex_match(OnlyKey(p, kUuid), kUuidV4));
  EXPECT_EQ(OnlyKey(p, kDefault), "42");
}

TEST(PartitionKeyTemplateTest, BulkVariables) {
  TestPipeline p(kConfig);
  const std::string r1 = "one", r2 = "two";
  const std::string* recs[] = {&r1, &r2};
  BulkInput b;
  b.device_id = 42;
  b.label = "logs";
  b.records = recs;
  ASSERT_TRUE(p.ingester().PublishBulk(b, {}).ok());
  for (int m : {kByDevice, kByHome, kByLabel, kDefault}) {
    OutBatch got = p.Drain(m);
    ASSERT_EQ(got.size(), 2u);
    const std::string want = m == kByHome    ? "home-7"
                             : m == kByLabel ? "logs:42"
                                             : "42";
    EXPECT_EQ(got[0].partition_key, want);
    EXPECT_EQ(got[1].partition_key, want);
  }
  OutBatch uuids = p.Drain(kUuid);
  ASSERT_EQ(uuids.size(), 2u);
  EXPECT_NE(uuids[0].partition_key, uuids[1].partition_key);
}

TEST(PartitionKeyTemplateTest, NewUuidIsFreshPerRecordAndVersion4) {
  TestPipeline p(R"(
modules:
  - id: uuid
    bulk_data_label: "*"
    partition_key: "${newuuid()}"
    sink: {type: stdout}
)");
  std::vector<std::string> data(500, "x");
  std::vector<const std::string*> recs;
  for (const std::string& d : data) recs.push_back(&d);
  BulkInput b;
  b.device_id = 5;
  b.label = "l";
  b.records = recs;
  ASSERT_TRUE(p.ingester().PublishBulk(b, {}).ok());
  std::set<std::string> keys;
  for (const OutRecord& r : p.Drain(0)) {
    EXPECT_TRUE(std::regex_match(r.partition_key, kUuidV4)) << r.partition_key;
    keys.insert(r.partition_key);
  }
  EXPECT_EQ(keys.size(), 500u);
}

TEST(PartitionKeyTemplateTest, TopicAndPayloadComeFromTheSource) {
  TestPipeline p(R"(
modules:
  - id: m
    subscribe_events: ["*"]
    bulk_data_label: "*"
    partition_key: "${topic(1)}-${topic(2)}-${payload.site}|${topic()}"
    sink: {type: stdout}
)");
  FakeInputSource source("sensors/9", {{"site", "north"}});
  const std::string rec = "r";
  const std::string* recs[] = {&rec};
  BulkInput b;
  b.device_id = 9;
  b.label = "sensors";
  b.records = recs;
  b.source = &source;
  ASSERT_TRUE(p.ingester().PublishBulk(b, {}).ok());
  EXPECT_EQ(OnlyKey(p, 0), "sensors-9-north|sensors/9");

  EventInput e = DeviceEvent(9);
  e.default_home_id = 1;
  e.source = &source;
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  EXPECT_EQ(OnlyKey(p, 0), "sensors-9-north|sensors/9");
}

TEST(PartitionKeyTemplateTest, MissingValuesRefuseTheInputWithTheReason) {
  TestPipeline p(R"(
modules:
  - id: m
    subscribe_events: ["*"]
    partition_key: "${payload.site}"
    sink: {type: stdout}
  - id: d
    subscribe_events: ["*"]
    partition_key: "${device_id}"
    sink: {type: stdout}
)");
  EventInput no_source = DeviceEvent(9);
  no_source.default_home_id = 1;
  IngestResult r = p.ingester().PublishEvents({no_source}, {});
  EXPECT_EQ(r.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.reason, IngestReason::kInvalid);
  EXPECT_EQ(r.message(),
            "event: module 'm' partition_key ${payload.site}: the payload is "
            "not a JSON object with a string, number or boolean field 'site'");

  FakeInputSource source("t", {{"other", "x"}});
  no_source.source = &source;
  EXPECT_FALSE(p.ingester().PublishEvents({no_source}, {}).ok());
  EXPECT_EQ(source.lookups(), 1);

  // A home event has no device id: module d refuses it (all-or-nothing, so
  // module m took nothing either).
  FakeInputSource site("t", {{"site", "s"}});
  EventInput home;
  home.event_type = "x";
  home.home_id = 3;
  home.source = &site;
  r = p.ingester().PublishEvents({home}, {});
  EXPECT_EQ(r.message(),
            "event: module 'd' partition_key ${device_id}: the input has no "
            "device id");
  EXPECT_TRUE(p.Drain(0).empty());
}

TEST(PartitionKeyTemplateTest, KeyMustBe1To256Characters) {
  TestPipeline p(R"(
modules:
  - id: m
    bulk_data_label: "*"
    partition_key: "${payload.k}"
    sink: {type: stdout}
)");
  const std::string rec = "r";
  const std::string* recs[] = {&rec};
  BulkInput b;
  b.device_id = 1;
  b.label = "l";
  b.records = recs;
  auto publish = [&](const std::string& key) {
    FakeInputSource source("t", {{"k", key}});
    b.source = &source;
    return p.ingester().PublishBulk(b, {});
  };
  EXPECT_TRUE(publish(std::string(256, 'k')).ok());
  EXPECT_EQ(p.Drain(0)[0].partition_key, std::string(256, 'k'));
  // 256 two-byte characters are 256 characters.
  std::string wide;
  for (int i = 0; i < 256; ++i) wide += "\xc3\xa9";
  EXPECT_TRUE(publish(wide).ok());
  EXPECT_EQ(p.Drain(0).size(), 1u);

  IngestResult r = publish(std::string(257, 'k'));
  EXPECT_EQ(r.reason, IngestReason::kInvalid);
  EXPECT_EQ(r.message(),
            "records[0]: module 'm' partition_key ${payload.k} gave 257 "
            "characters; a partition key has 1..256");
  r = publish("");
  EXPECT_THAT(std::string(r.message()), HasSubstr("gave 0 characters"));
  EXPECT_TRUE(p.Drain(0).empty());
}

TEST(PartitionKeyTemplateTest, MappedRecordWithoutDevice) {
  TestPipeline p(R"(
modules:
  - id: by_topic
    bulk_data_label: sensors
    partition_key: "${topic(2)}"
    sink: {type: stdout}
  - id: default
    bulk_data_label: other
    sink: {type: stdout}
)");
  FakeInputSource source("sensors/abc", {});
  const std::string rec = "r";
  const std::string* recs[] = {&rec};
  BulkInput b;
  b.label = "sensors";
  b.records = recs;
  b.source = &source;
  ASSERT_TRUE(p.ingester().PublishBulk(b, {}).ok());
  EXPECT_EQ(OnlyKey(p, 0), "abc");

  b.label = "other";  // keyed by the device id it does not have
  IngestResult r = p.ingester().PublishBulk(b, {});
  EXPECT_EQ(r.reason, IngestReason::kInvalid);
  EXPECT_THAT(std::string(r.message()),
              HasSubstr("records[0]: module 'default' keys records by device "
                        "id and this one has none"));

  b.source = nullptr;  // only MQTT mapped records may have no device
  r = p.ingester().PublishBulk(b, {});
  EXPECT_EQ(r.message(), "device_id: must be > 0");
}

}  // namespace
}  // namespace streamgate
