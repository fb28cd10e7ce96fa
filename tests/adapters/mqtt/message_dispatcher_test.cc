// MessageDispatcher with mqtt.mappings: what reaches Ingest for mapped
// records and events (bytes, device, label, type, source topic), and every
// rejection with its counter and reason. No broker: Dispatch is called
// directly with a FakeIngest.
#include "adapters/mqtt/message_dispatcher.h"

#include <string>
#include <vector>

#include "adapters/mqtt/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_ingest.h"

namespace streamgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RecordingRejects : public DoorRejects {
 public:
  void Rejected(const DoorReject& r) override {
    reasons.push_back(std::string(r.reason));
    data.push_back(std::string(r.data));
  }
  std::vector<std::string> reasons;
  std::vector<std::string> data;
};

constexpr char kSeed[] =
    R"({"deviceid": "1", "datetime": "2020-05-11 09:42:05", "temperature": "33", "humidity": "85"})";

class DispatcherTest : public ::testing::Test {
 protected:
  void Configure(const std::string& body) {
    const ConfigReader root(
        YAML::Load("mqtt:\n  host: b\n  client_id: g\n" + body), "");
    auto section = root.Section("mqtt", false);
    ASSERT_TRUE(section.ok());
    auto c = ParseMqttConfig(*section);
    ASSERT_TRUE(c.ok()) << c.status();
    config_ = *std::move(c);
    dispatcher_ = std::make_unique<MessageDispatcher>(
        config_, ingest_, rejects_, counters_, backpressure_);
  }
  bool Dispatch(absl::string_view topic, absl::string_view payload) {
    return dispatcher_->Dispatch(topic, payload);
  }
  uint64_t Count(const MqttCounters::Counter& c) const {
    return c.load(std::memory_order_relaxed);
  }

  MqttConfig config_;
  testing::FakeIngest ingest_;
  RecordingRejects rejects_;
  MqttCounters counters_;
  StopSignal stop_;
  Backpressure backpressure_{"b:1883", stop_, counters_};
  std::unique_ptr<MessageDispatcher> dispatcher_;
};

constexpr char kMappings[] = R"(  default_home_id: 5
  mappings:
    - topic: "sensors/+"
      as: record
      label: sensors
      device_id: "${topic(2)}"
    - topic: "factory/+/+/telemetry"
      as: event
      event_type: "${topic(4)}"
      device_id: "${topic(3)}"
    - topic: "bypayload/#"
      as: event
      event_type: "reading-${payload.kind}"
      device_id: "${payload.deviceid}"
    - topic: "anon/#"
      as: record
      label: anon
)";

TEST_F(DispatcherTest, MappedRecordIsThePayloadByteForByte) {
  Configure(kMappings);
  ASSERT_TRUE(Dispatch("sensors/1", kSeed));
  const std::string binary("\x00\xff{not json", 11);
  ASSERT_TRUE(Dispatch("sensors/22", binary));
  auto bulks = ingest_.bulks();
  ASSERT_EQ(bulks.size(), 2u);
  EXPECT_EQ(bulks[0].device_id, 1);
  EXPECT_EQ(bulks[0].label, "sensors");
  EXPECT_THAT(bulks[0].records, ElementsAre(kSeed));
  EXPECT_FALSE(bulks[0].msgpack_payload.has_value());
  EXPECT_EQ(bulks[0].source_topic, "sensors/1");
  EXPECT_EQ(bulks[1].device_id, 22);
  EXPECT_THAT(bulks[1].records, ElementsAre(binary));
  EXPECT_EQ(Count(counters_.bulk_accepted), 2u);
}

TEST_F(DispatcherTest, MappedRecordWithoutDeviceId) {
  Configure(kMappings);
  ASSERT_TRUE(Dispatch("anon/x/y", "abc"));
  auto bulks = ingest_.bulks();
  ASSERT_EQ(bulks.size(), 1u);
  EXPECT_EQ(bulks[0].device_id, 0);
  EXPECT_EQ(bulks[0].label, "anon");
  EXPECT_THAT(bulks[0].records, ElementsAre("abc"));
}

TEST_F(DispatcherTest, MappedEventTakesThePayloadAsEventData) {
  Configure(kMappings);
  ASSERT_TRUE(Dispatch("factory/plant1/7/telemetry",
                       R"( { "rpm" : 1200, "s" : "a b", "n": [1, 2.50] } )"));
  ASSERT_TRUE(Dispatch("bypayload/x", kSeed + std::string()));
  auto events = ingest_.events();
  ASSERT_EQ(events.size(), 1u);  // the second lacks "kind": rejected
  EXPECT_EQ(events[0].event_type, "telemetry");
  EXPECT_EQ(events[0].origin_device_id, 7);
  EXPECT_EQ(events[0].home_id, 5);  // default_home_id
  EXPECT_EQ(events[0].data_json, R"({"rpm":1200,"s":"a b","n":[1,2.50]})");
  EXPECT_EQ(events[0].source_topic, "factory/plant1/7/telemetry");
  EXPECT_THAT(rejects_.reasons,
              ElementsAre("event_type ${payload.kind}: the payload is not a "
                          "JSON object with a string, number or boolean field "
                          "'kind'"));
  EXPECT_EQ(Count(counters_.rejected_mapping), 1u);

  ASSERT_TRUE(
      Dispatch("bypayload/y", R"({"deviceid": 12, "kind": true, "v": null})"));
  events = ingest_.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].event_type, "reading-true");
  EXPECT_EQ(events[1].origin_device_id, 12);
}

TEST_F(DispatcherTest, RejectionsAreCountedWithTheirReason) {
  Configure(kMappings);
  ASSERT_TRUE(Dispatch("sensors/abc", "x"));
  ASSERT_TRUE(Dispatch("sensors/007", "x"));
  ASSERT_TRUE(Dispatch("sensors/", "x"));
  ASSERT_TRUE(Dispatch("factory/p/7/telemetry", "not json"));
  ASSERT_TRUE(Dispatch("factory/p/7/telemetry", "[1]"));
  ASSERT_TRUE(
      Dispatch("bypayload/z", R"({"deviceid": {"a": 1}, "kind": "k"})"));
  ASSERT_TRUE(Dispatch("bypayload/z", R"({"deviceid": -3, "kind": "k"})"));
  const std::string long_id(300, '9');
  ASSERT_TRUE(Dispatch("sensors/" + long_id, "x"));
  EXPECT_TRUE(ingest_.bulks().empty());
  EXPECT_TRUE(ingest_.events().empty());
  ASSERT_EQ(rejects_.reasons.size(), 8u);
  EXPECT_EQ(rejects_.reasons[0],
            "device_id ${topic(2)} gave 'abc': device id must be a positive "
            "decimal integer");
  EXPECT_EQ(rejects_.reasons[1],
            "device_id ${topic(2)} gave '007': device id must be a positive "
            "integer without leading zeros");
  EXPECT_EQ(rejects_.reasons[2],
            "device_id ${topic(2)} gave '': device id is empty");
  EXPECT_THAT(rejects_.reasons[3], HasSubstr("payload is not valid JSON"));
  EXPECT_EQ(rejects_.reasons[4], "payload is not a JSON object");
  EXPECT_THAT(rejects_.reasons[5],
              HasSubstr("device_id ${payload.deviceid}: the payload is not a "
                        "JSON object with a string, number or boolean field"));
  EXPECT_EQ(rejects_.reasons[6],
            "device_id ${payload.deviceid} gave '-3': device id must be a "
            "positive decimal integer");
  // The device's text is quoted, bounded.
  EXPECT_EQ(rejects_.reasons[7], "device_id ${topic(2)} gave '" +
                                     std::string(64, '9') +
                                     "...': device id is out of range");
  EXPECT_EQ(rejects_.data[0], "x");
  EXPECT_EQ(Count(counters_.rejected_mapping), 6u);
  EXPECT_EQ(Count(counters_.rejected_invalid_json), 1u);
  EXPECT_EQ(Count(counters_.rejected_not_object), 1u);
}

TEST_F(DispatcherTest, ModeTopicsStillWorkNextToMappings) {
  Configure(kMappings);
  ASSERT_TRUE(Dispatch("/devices/42/event", R"({"eventType":"t"})"));
  ASSERT_TRUE(Dispatch("/devices/x/event", R"({"eventType":"t"})"));
  ASSERT_TRUE(Dispatch("nothing/here", "x"));
  auto events = ingest_.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].origin_device_id, 42);
  EXPECT_EQ(events[0].source_topic, "/devices/42/event");
  EXPECT_EQ(Count(counters_.rejected_bad_topic), 2u);
}

TEST_F(DispatcherTest, ModeTopicsOff) {
  Configure(R"(  mode_topics: false
  mappings:
    - {topic: "#", as: record, label: all, device_id: "3"}
)");
  ingest_.SetDevice(3, 1);
  ASSERT_TRUE(Dispatch("/devices/42/event", R"({"eventType":"t"})"));
  EXPECT_TRUE(ingest_.events().empty());
  auto bulks = ingest_.bulks();
  ASSERT_EQ(bulks.size(), 1u);  // the "#" mapping took it as a record
  EXPECT_EQ(bulks[0].label, "all");
  EXPECT_EQ(bulks[0].device_id, 3);
}

TEST_F(DispatcherTest,
       UnknownDeviceOfAMappedRecordIsAcceptedItNeedsNoHome) {
  Configure(R"(  mappings:
    - {topic: "sensors/+", as: record, label: s, device_id: "${topic(2)}"}
)");
  ingest_.SetDevice(1, 10);
  ASSERT_TRUE(Dispatch("sensors/1", "a"));
  ASSERT_TRUE(Dispatch("sensors/2", "b"));
  ASSERT_EQ(ingest_.bulks().size(), 2u);
  EXPECT_EQ(ingest_.bulks()[1].device_id, 2);
  EXPECT_EQ(Count(counters_.rejected_unknown_device), 0u);
}

}  // namespace
}  // namespace streamgate
