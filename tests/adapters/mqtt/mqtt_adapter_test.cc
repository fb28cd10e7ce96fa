// MqttAdapter against a real mosquitto, what comes in: exactly the
// expected Ingest calls, counters, dead letters and log lines for good and
// bad input, the default home, the factory's adapter, the Maximum Packet
// Size, and start-up failures.
#include "adapters/mqtt/mqtt_adapter.h"

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/types/optional.h"
#include "adapters/mqtt/factory.h"
#include "gateway/api/config_reader.h"
#include "gateway/api/gateway_status.h"
#include "gateway/api/rejects.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ringbuffer_sink.h"
#include "spdlog/spdlog.h"
#include "tests/adapters/mqtt/broker_fixture.h"

namespace streamgate {
namespace {

using testing::FakeIngest;
using testing::FullWhile;
using testing::kWait;
using testing::MakeAdapter;
using testing::MosquittoBroker;
using testing::MqttAdapterTest;
using testing::MsgpackBulk;
using testing::Seq;
using testing::Seqs;
using testing::TestPublisher;
using testing::WaitFor;

TEST_F(MqttAdapterTest, EventsBulkAndRejectionsGiveExactlyTheExpectedCalls) {
  FakeIngest ingest;
  ingest.SetDevice(42, 7);
  const std::string bad_msgpack =
      "\xa3"
      "2.0";
  ingest.SetResponder([&](const FakeIngest::Call& call) {
    if (call.bulk && call.bulk->msgpack_payload == bad_msgpack) {
      return absl::InvalidArgumentError("msgpack_payload: unsupported version");
    }
    return absl::OkStatus();
  });
  auto adapter = MakeAdapter(broker_->port(), ingest, "gw-basic");
  ASSERT_TRUE(adapter->Start().ok());
  auto pub = Publisher();
  ASSERT_NE(pub, nullptr);

  const std::string bulk = MsgpackBulk({"rec-1", std::string("\x00\xff", 2)});
  const std::vector<std::pair<std::string, std::string>> messages = {
      {"/devices/42/event",
       "{ \"eventType\": \"temp\", \"eventData\": { \"c\": 21.5 } }"},  // ok
      {"/devices/42/event", R"({"eventType":"boot"})"},                 // ok
      {"/devices/99/event", R"({"eventType":"temp"})"},                 // unknown
      {"/devices/042/event", R"({"eventType":"temp"})"},                // bad id
      {"/devices/0/event", R"({"eventType":"temp"})"},                  // bad id
      {"/devices/42/event", "not json"},                                // json
      {"/devices/42/event", R"(["eventType"])"},                        // object
      {"/devices/42/event", R"({"eventData":{}})"},                     // type
      {"/devices/42/event", R"({"eventType":""})"},                     // type
      {"/devices/42/event", R"({"eventType":3})"},                      // type
      {"/devices/42/event", R"({"eventType":"t","eventData":[1]})"},    // data
      {"/devices/42/bulkData/logs", bulk},                              // ok
      {"/devices/99/bulkData/logs", bulk},  // unknown: bulk needs no home, ok
      {"/devices/42/bulkData/logs", bad_msgpack},                       // ingest
      {"/devices/42/event", R"({"eventType":"last","eventData":{}})"},  // ok
  };
  for (const auto& [topic, payload] : messages) {
    ASSERT_TRUE(pub->Publish(topic, payload).ok());
  }
  ASSERT_TRUE(pub->WaitAcked().ok());
  const MqttCounters& c = adapter->counters();
  ASSERT_TRUE(WaitFor([&] { return c.received.load() >= messages.size(); }));

  const auto events = ingest.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event_type, "temp");
  EXPECT_EQ(events[0].data_json, R"({"c":21.5})");
  // The adapter sends home_id 0; Ingest fills it from the registry.
  EXPECT_EQ(events[0].home_id, 7);
  EXPECT_EQ(events[0].origin_device_id, 42);
  EXPECT_FALSE(events[0].has_timestamp);  // the gateway stamps receive time
  EXPECT_EQ(events[0].caller_key_id, "");
  EXPECT_EQ(events[1].event_type, "boot");
  EXPECT_EQ(events[1].data_json, "");
  EXPECT_EQ(events[2].event_type, "last");
  EXPECT_EQ(events[2].data_json, "{}");
  const auto bulks = ingest.bulks();
  ASSERT_EQ(bulks.size(), 2u);
  EXPECT_EQ(bulks[0].device_id, 42);
  EXPECT_EQ(bulks[0].label, "logs");
  EXPECT_EQ(bulks[0].msgpack_payload, bulk);
  EXPECT_TRUE(bulks[0].records.empty());
  EXPECT_EQ(bulks[1].device_id, 99);

  EXPECT_EQ(c.events_accepted.load(), 3u);
  EXPECT_EQ(c.bulk_accepted.load(), 2u);
  EXPECT_EQ(c.rejected_unknown_device.load(), 1u);
  EXPECT_EQ(c.rejected_bad_topic.load(), 2u);
  EXPECT_EQ(c.rejected_invalid_json.load(), 1u);
  EXPECT_EQ(c.rejected_not_object.load(), 1u);
  EXPECT_EQ(c.rejected_event_type.load(), 3u);
  EXPECT_EQ(c.rejected_event_data.load(), 1u);
  EXPECT_EQ(c.rejected_bulk_by_ingest.load(), 1u);
  EXPECT_EQ(c.rejected_event_by_ingest.load(), 0u);
  EXPECT_EQ(c.failed_other.load(), 0u);
  EXPECT_EQ(c.backpressure_waits.load(), 0u);
  adapter->Shutdown(absl::Now() + absl::Seconds(5));
}

TEST_F(MqttAdapterTest, DefaultHomeIdAdmitsUnknownDevices) {
  FakeIngest ingest;
  ingest.SetDevice(42, 7);
  ingest.SetResponder([](const FakeIngest::Call& call) {
    // The core refuses an oversized record with INVALID_ARGUMENT.
    if (call.event && call.event->event_type == "huge") {
      return absl::InvalidArgumentError("record exceeds max_record_bytes");
    }
    return absl::OkStatus();
  });
  auto adapter = MakeAdapter(broker_->port(), ingest, "gw-default",
                             "default_home_id: 1001\n");
  ASSERT_TRUE(adapter->Start().ok());
  auto pub = Publisher();
  ASSERT_TRUE(pub->Publish("/devices/99/event", R"({"eventType":"a"})").ok());
  ASSERT_TRUE(
      pub->Publish("/devices/42/event", R"({"eventType":"huge"})").ok());
  ASSERT_TRUE(pub->Publish("/devices/42/event", R"({"eventType":"b"})").ok());
  ASSERT_TRUE(pub->Publish("/devices/98/bulkData/x", MsgpackBulk({"r"})).ok());
  ASSERT_TRUE(
      WaitFor([&] { return adapter->counters().received.load() >= 4; }));
  const auto events = ingest.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].home_id, 1001);
  EXPECT_EQ(events[0].origin_device_id, 99);
  EXPECT_EQ(events[1].home_id, 7);  // the registry's home wins
  EXPECT_EQ(events[1].origin_device_id, 42);
  ASSERT_EQ(ingest.bulks().size(), 1u);
  EXPECT_EQ(ingest.bulks()[0].device_id, 98);
  EXPECT_EQ(adapter->counters().rejected_event_by_ingest.load(), 1u);
  EXPECT_EQ(adapter->counters().rejected_unknown_device.load(), 0u);
}

// A module whose spool cannot store the input (IngestReason::kStoreFailed)
// is neither a bad message nor a full queue: nothing is acknowledged, the
// session reconnects and the broker redelivers, until the commit succeeds.
// No dead letter, no loss, no duplicate.
TEST_F(MqttAdapterTest, RefusedCommitsAreRedeliveredNotAcknowledged) {
  FakeIngest ingest;
  ingest.SetDevice(42, 7);
  std::atomic<int> disk_failures{0};
  std::atomic<int> bulk_failures{0};
  ingest.SetResponder([&](const FakeIngest::Call& call) {
    if (call.event && call.event->event_type == "disk" &&
        disk_failures.fetch_add(1) < 2) {
      return absl::InternalError("module m: spool write failed");
    }
    if (call.bulk && bulk_failures.fetch_add(1) < 1) {
      return absl::DataLossError("module m: fsync failed");
    }
    return absl::OkStatus();
  });
  auto adapter = MakeAdapter(broker_->port(), ingest, "gw-store");
  ASSERT_TRUE(adapter->Start().ok());
  auto pub = Publisher();
  ASSERT_NE(pub, nullptr);
  ASSERT_TRUE(
      pub->Publish("/devices/42/event", R"({"eventType":"disk"})").ok());
  ASSERT_TRUE(pub->Publish("/devices/42/bulkData/l", MsgpackBulk({"r"})).ok());
  ASSERT_TRUE(pub->Publish("/devices/42/event", R"({"eventType":"ok"})").ok());
  ASSERT_TRUE(ingest.WaitForAccepted(3, kWait));
  const MqttCounters& c = adapter->counters();
  EXPECT_GE(c.commit_refused.load(), 3u);
  EXPECT_GE(c.connects.load(), 2u);  // reconnected for the redelivery
  adapter->Shutdown(absl::Now() + absl::Seconds(5));
  EXPECT_EQ(c.failed_other.load(), 0u);
  EXPECT_EQ(c.events_accepted.load(), 2u);
  EXPECT_EQ(c.bulk_accepted.load(), 1u);
  const auto events = ingest.events();
  // Each once; the broker's resend order after reconnects is its own.
  std::multiset<std::string> types;
  for (const auto& e : events) types.insert(e.event_type);
  EXPECT_EQ(types, (std::multiset<std::string>{"disk", "ok"}));
  EXPECT_EQ(c.backpressure_waits.load(), 0u);
}

// What DoorRejects got, copied (the views die with the call).
class RecordingRejects : public DoorRejects {
 public:
  struct Reject {
    std::string source, reason, topic, data;
    absl::optional<int64_t> device;
  };
  void Rejected(const DoorReject& r) override {
    absl::MutexLock lock(&mu_);
    rejects_.push_back({std::string(r.source), std::string(r.reason),
                        std::string(r.topic), std::string(r.data), r.device});
  }
  std::vector<Reject> rejects() const {
    absl::MutexLock lock(&mu_);
    return rejects_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<Reject> rejects_ ABSL_GUARDED_BY(mu_);
};

// The MQTT adapter never reads the gateway's status.
class NoModules : public GatewayStatus {
 public:
  std::vector<ModuleStatus> Modules() const override { return {}; }
  absl::StatusOr<std::vector<LogEntry>> ModuleLog(absl::string_view,
                                                  spdlog::level::level_enum,
                                                  size_t) const override {
    return absl::NotFoundError("no modules");
  }
};

// Keeps the default logger's lines while it lives.
class LogCapture {
 public:
  LogCapture()
      : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256)) {
    spdlog::default_logger()->sinks().push_back(sink_);
  }
  ~LogCapture() { spdlog::default_logger()->sinks().pop_back(); }
  std::vector<std::string> lines() const { return sink_->last_formatted(); }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
};

// Built by its factory, the adapter publishes into the context's Ingest and
// reports its rejects to the context's DoorRejects. Events of unknown
// devices are refused by Ingest, with the reject line and counter of
// before; their bulk data needs no home and is accepted; a bad
// payload from an unknown device counts as the bad payload (it is parsed
// before the registry is asked). Topics in log lines are escaped.
TEST_F(MqttAdapterTest, FactoryAdapterUsesTheContextAndKeepsTheRejectLines) {
  FakeIngest ingest;
  ingest.SetDevice(42, 7);
  RecordingRejects rejects;
  NoModules status;
  auto factory = MakeMqttAdapterFactory();
  const ConfigReader root(
      YAML::Load(absl::StrCat("mqtt:\n  host: 127.0.0.1\n  port: ",
                              broker_->port(), "\n  client_id: gw-factory\n")),
      "");
  auto created = factory->Create(root, AdapterContext{ingest, rejects, status});
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_NE(*created, nullptr);
  auto* adapter = dynamic_cast<MqttAdapter*>(created->get());
  ASSERT_NE(adapter, nullptr);
  LogCapture log;
  ASSERT_TRUE(adapter->Start().ok());
  auto pub = Publisher();
  ASSERT_NE(pub, nullptr);
  const std::string bulk = MsgpackBulk({"r"});
  ASSERT_TRUE(pub->Publish("/devices/42/event", R"({"eventType":"ok"})").ok());
  ASSERT_TRUE(pub->Publish("/devices/99/event", R"({"eventType":"x"})").ok());
  ASSERT_TRUE(pub->Publish("/devices/99/bulkData/logs", bulk).ok());
  ASSERT_TRUE(pub->Publish("/devices/98/event", "not json").ok());
  ASSERT_TRUE(pub->Publish("/devices/4\\2/event", "{}").ok());
  ASSERT_TRUE(pub->WaitAcked().ok());
  const MqttCounters& c = adapter->counters();
  ASSERT_TRUE(WaitFor([&] { return c.received.load() >= 5; }));
  adapter->Shutdown(absl::Now() + absl::Seconds(5));

  ASSERT_EQ(ingest.events().size(), 1u);
  EXPECT_EQ(ingest.events()[0].event_type, "ok");
  EXPECT_EQ(c.events_accepted.load(), 1u);
  ASSERT_EQ(ingest.bulks().size(), 1u);
  EXPECT_EQ(ingest.bulks()[0].device_id, 99);
  EXPECT_EQ(c.rejected_unknown_device.load(), 1u);
  EXPECT_EQ(c.rejected_invalid_json.load(), 1u);
  EXPECT_EQ(c.rejected_bad_topic.load(), 1u);
  EXPECT_EQ(c.rejected_event_by_ingest.load(), 0u);
  EXPECT_EQ(c.rejected_bulk_by_ingest.load(), 0u);

  const std::string unknown =
      "device is not in the registry and no default_home_id is set";
  const auto dead = rejects.rejects();
  ASSERT_EQ(dead.size(), 3u);
  EXPECT_EQ(dead[0].source, "mqtt");
  EXPECT_EQ(dead[0].reason, unknown);
  EXPECT_EQ(dead[0].topic, "/devices/99/event");
  EXPECT_EQ(dead[0].device, 99);
  EXPECT_EQ(dead[0].data, R"({"eventType":"x"})");
  EXPECT_EQ(dead[1].device, 98);
  EXPECT_EQ(dead[1].data, "not json");
  EXPECT_EQ(dead[2].topic, "/devices/4\\2/event");  // raw in the dead letter
  EXPECT_FALSE(dead[2].device.has_value());

  const std::vector<std::string> lines = log.lines();
  auto logged = [&](const std::string& text) {
    for (const std::string& line : lines) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(logged("mqtt: rejected message from device 99 on "
                     "'/devices/99/event': " + unknown));
  EXPECT_FALSE(logged("'/devices/99/bulkData/logs'"));
  // The backslash is escaped, so the log line cannot be mistaken.
  EXPECT_TRUE(
      logged("mqtt: rejected message from device ? on "
             "'/devices/4\\\\2/event': "));
}

// MQTT 5: the broker honours the Maximum Packet Size the gateway sends, so
// one message cannot take more memory than that; the messages around a
// too-large one still arrive.
TEST_F(MqttAdapterTest, BrokerHonoursTheMaximumPacketSize) {
  FakeIngest ingest;
  ingest.SetDevice(42, 7);
  auto adapter = MakeAdapter(broker_->port(), ingest, "gw-maxpacket",
                             "max_packet_bytes: 4096\n");
  ASSERT_TRUE(adapter->Start().ok());
  auto pub = Publisher();
  const std::string big =
      absl::StrCat(R"({"eventType":"big","eventData":{"pad":")",
                   std::string(8000, 'x'), R"("}})");
  ASSERT_TRUE(pub->Publish("/devices/42/event", Seq(1)).ok());
  ASSERT_TRUE(pub->Publish("/devices/42/event", big).ok());
  ASSERT_TRUE(pub->Publish("/devices/42/event", Seq(2)).ok());
  ASSERT_TRUE(WaitFor([&] { return ingest.events().size() >= 2; }));
  EXPECT_EQ(Seqs(ingest), (std::vector<int>{1, 2}));
  EXPECT_EQ(adapter->counters().received.load(), 2u);
}

// An idle session keeps itself alive: a PINGREQ after half the keepalive,
// and the next one only once the broker's PINGRESP came, all on one
// connection that still delivers afterwards.
TEST_F(MqttAdapterTest, IdleSessionPingsAndStaysConnected) {
  FakeIngest ingest;
  ingest.SetDevice(9, 1);
  auto adapter =
      MakeAdapter(broker_->port(), ingest, "gw-ping", "keepalive_s: 5\n");
  ASSERT_TRUE(adapter->Start().ok());
  const MqttCounters& c = adapter->counters();
  ASSERT_TRUE(WaitFor([&] { return c.pings.load() >= 2; }));
  EXPECT_EQ(c.connects.load(), 1u);
  EXPECT_EQ(c.disconnects.load(), 0u);
  auto pub = Publisher();
  ASSERT_NE(pub, nullptr);
  ASSERT_TRUE(pub->Publish("/devices/9/event", Seq(1)).ok());
  ASSERT_TRUE(ingest.WaitForAccepted(1, kWait));
  adapter->Shutdown(absl::Now() + absl::Seconds(5));
}

// With mqtt.start_timeout_ms, start-up gives up on a broker it cannot reach.
TEST_F(MqttAdapterTest, StartFailsClearlyWithoutBrokerAfterTheStartTimeout) {
  FakeIngest ingest;
  const int port = broker_->port();
  broker_->Stop();
  auto adapter =
      MakeAdapter(port, ingest, "gw-nobroker", "start_timeout_ms: 300\n");
  absl::Status status = adapter->Start();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(
      std::string(status.message()),
      ::testing::HasSubstr(absl::StrCat("cannot connect to 127.0.0.1:", port)));
  EXPECT_THAT(std::string(status.message()),
              ::testing::HasSubstr("start_timeout_ms"));
}

// Without it, the gateway starts without its broker (gRPC serves meanwhile)
// and joins it when it comes up.
TEST_F(MqttAdapterTest, StartsWithoutBrokerAndConnectsWhenItComesUp) {
  FakeIngest ingest;
  ingest.SetDevice(5, 1);
  broker_->Stop();
  auto adapter = MakeAdapter(broker_->port(), ingest, "gw-later");
  ASSERT_TRUE(adapter->Start().ok());
  EXPECT_FALSE(adapter->connected());
  EXPECT_EQ(adapter->counters().connects.load(), 0u);
  ASSERT_TRUE(broker_->Restart().ok());
  ASSERT_TRUE(
      WaitFor([&] { return adapter->counters().subscribed.load() >= 1; }));
  auto pub = Publisher();
  ASSERT_NE(pub, nullptr);
  ASSERT_TRUE(pub->Publish("/devices/5/event", Seq(1)).ok());
  ASSERT_TRUE(ingest.WaitForAccepted(1, kWait));
  EXPECT_EQ(Seqs(ingest), (std::vector<int>{1}));
  adapter->Shutdown(absl::Now() + absl::Seconds(5));
}

TEST_F(MqttAdapterTest, StartFailsWhenTheBrokerRefusesTheClient) {
  // A broker that requires a password: the anonymous adapter is refused.
  auto strict = MosquittoBroker::Start("allow_anonymous false\n");
  ASSERT_TRUE(strict.ok()) << strict.status();
  FakeIngest ingest;
  auto adapter = MakeAdapter((*strict)->port(), ingest, "gw-refused",
                             "username: gw\npassword: wrong-secret\n");
  absl::Status status = adapter->Start();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("refused"));
  EXPECT_THAT(std::string(status.message()),
              ::testing::Not(::testing::HasSubstr("wrong-secret")));
}

}  // namespace
}  // namespace streamgate
