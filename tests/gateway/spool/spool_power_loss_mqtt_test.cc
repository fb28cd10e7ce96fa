// Power loss under the MQTT input: a real mosquitto, a QoS 1 publisher, and
// the MQTT adapter (built through its public factory, persistent session)
// over the real Ingester and Router into a spooled module (fsync: always)
// whose file system loses everything not yet synced. The power goes while
// messages flow; from that moment the gateway acknowledges nothing more (a
// dead process cannot: PowerCutIngest answers every call as shutting down,
// so the adapter leaves the message unacknowledged), the adapter is
// stopped, the spool restarted, and a new adapter with the same
// session takes what the broker still holds. Every message the publisher
// saw a PUBACK for is then in the spool (replayed, in order per device) or
// redelivered by the broker.
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "adapters/mqtt/factory.h"
#include "gateway/api/adapter.h"
#include "gateway/api/config_reader.h"
#include "gateway/api/ingest.h"
#include "gateway/api/rejects.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adapters/mqtt/test_publisher.h"
#include "tests/fakes/fake_gateway_status.h"
#include "tests/fakes/fault_spool_env.h"
#include "tests/fakes/mosquitto_broker.h"
#include "tests/gateway/spool/spool_test_util.h"
#include "tests/gateway/spool/spooled_ingest.h"
#include "yaml-cpp/yaml.h"

namespace streamgate {
namespace {

using testing::Eventually;
using testing::FaultSpoolEnv;
using testing::MosquittoBroker;
using testing::PopAll;
using testing::SpooledIngest;
using testing::TestPublisher;

constexpr char kModule[] = R"(modules:
  - {id: all, subscribe_events: ["*"], sink: {type: stdout}}
)";
constexpr int kDevices = 3;
constexpr int kPerDevice = 400;

// The number after `field` in a rendered event.
int64_t Field(const std::string& event, const std::string& field) {
  const size_t at = event.find(field);
  if (at == std::string::npos) return -1;
  const size_t from = at + field.size();
  int64_t v = -1;
  if (!absl::SimpleAtoi(
          event.substr(from, event.find_first_of(",}", from) - from), &v)) {
    return -1;
  }
  return v;
}

// The real Ingester until Cut(); from then on every input is answered
// UNAVAILABLE (shutting down), whatever the Ingester did with it, as the
// process that lost its power answers nothing.
class PowerCutIngest : public Ingest {
 public:
  explicit PowerCutIngest(Ingest& inner) : inner_(inner) {}
  void Cut() { cut_.store(true); }

  IngestResult PublishEvents(absl::Span<const EventInput> events,
                             const Caller& caller) override {
    return Answer(inner_.PublishEvents(events, caller));
  }
  IngestResult PublishBulk(const BulkInput& bulk,
                           const Caller& caller) override {
    return Answer(inner_.PublishBulk(bulk, caller));
  }

 private:
  IngestResult Answer(IngestResult result) {
    if (!cut_.load()) return result;
    IngestResult dead;
    dead.status = absl::UnavailableError("the power is gone");
    dead.reason = IngestReason::kUnavailable;
    return dead;
  }

  Ingest& inner_;
  std::atomic<bool> cut_{false};
};

std::unique_ptr<Adapter> StartAdapter(int port, Ingest& ingest,
                                      const GatewayStatus& status) {
  const ConfigReader root(
      YAML::Load(absl::StrCat("mqtt: {host: 127.0.0.1, port: ", port,
                              ", client_id: spool-power-loss, qos: 1, "
                              "default_home_id: 1, reconnect_min_ms: 20, "
                              // Small commits, so the power goes mid-stream
                              // after 200 of them (lingering reads take the
                              // 1,200 messages in a few dozen).
                              "reconnect_max_ms: 200, read_linger_us: 0}")),
      "");
  auto adapter = MakeMqttAdapterFactory()->Create(
      root, AdapterContext{ingest, NoDoorRejects::Instance(), status});
  EXPECT_TRUE(adapter.ok()) << adapter.status();
  if (!adapter.ok() || *adapter == nullptr) return nullptr;
  EXPECT_TRUE((*adapter)->Start().ok());
  return *std::move(adapter);
}

void Stop(Adapter& adapter) {
  adapter.StopAccepting();
  adapter.Shutdown(absl::Now() + absl::Seconds(10));
}

TEST(SpoolPowerLossMqttTest, EveryMessageTheBrokerAcknowledgedSurvives) {
  // The broker keeps every message of the gateway's session while it is
  // away (its default drops those past 1000).
  auto broker = MosquittoBroker::Start("max_queued_messages 0\n");
  ASSERT_TRUE(broker.ok()) << broker.status();
  const int port = (*broker)->port();
  testing::FakeGatewayStatus status;
  FaultSpoolEnv env;
  {
    SpooledIngest spooled;
    ASSERT_TRUE(spooled.Start(kModule, {&env}).ok());
    PowerCutIngest ingest(spooled.ingest());
    std::unique_ptr<Adapter> adapter = StartAdapter(port, ingest, status);
    ASSERT_NE(adapter, nullptr);
    auto publisher = TestPublisher::Connect(port);
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    for (int i = 0; i < kPerDevice; ++i) {
      for (int d = 1; d <= kDevices; ++d) {
        ASSERT_TRUE((*publisher)
                        ->Publish(absl::StrCat("/devices/", d, "/event"),
                                  absl::StrCat(R"({"eventType":"seq",)",
                                               R"("eventData":{"i":)", i, "}}"))
                        .ok());
      }
    }
    // The power goes while the gateway is taking them in.
    ASSERT_TRUE(Eventually(
        [&] { return spooled.queue(0).stats().commits.load() >= 200; }));
    ingest.Cut();
    env.PowerLoss(/*torn=*/true);
    // Every message reached the broker (a PUBACK for each).
    ASSERT_TRUE((*publisher)->WaitAcked().ok());
    Stop(*adapter);
  }
  env.Restart();
  SpooledIngest restarted;
  ASSERT_TRUE(restarted.Start(kModule, {&env}).ok());
  // What the spool kept: a prefix of each device's messages, in order.
  std::set<std::pair<int64_t, int64_t>> seen;
  std::vector<std::vector<int64_t>> replayed(kDevices + 1);
  for (const std::string& e : PopAll(restarted.queue(0))) {
    const int64_t device = Field(e, "\"originDeviceId\":");
    ASSERT_TRUE(device >= 1 && device <= kDevices) << e;
    replayed[device].push_back(Field(e, "\"i\":"));
    seen.emplace(device, replayed[device].back());
  }
  for (int d = 1; d <= kDevices; ++d) {
    for (size_t i = 0; i < replayed[d].size(); ++i) {
      ASSERT_EQ(replayed[d][i], static_cast<int64_t>(i)) << "device " << d;
    }
  }
  // The rest comes from the broker, which kept what was never acknowledged.
  std::unique_ptr<Adapter> adapter =
      StartAdapter(port, restarted.ingest(), status);
  ASSERT_NE(adapter, nullptr);
  EXPECT_TRUE(Eventually([&] {
    for (const std::string& e : PopAll(restarted.queue(0))) {
      seen.emplace(Field(e, "\"originDeviceId\":"), Field(e, "\"i\":"));
    }
    return seen.size() >= static_cast<size_t>(kDevices * kPerDevice);
  }));
  Stop(*adapter);
  for (int d = 1; d <= kDevices; ++d) {
    for (int i = 0; i < kPerDevice; ++i) {
      ASSERT_EQ(seen.count({d, i}), 1u) << "device " << d << " message " << i;
    }
  }
}

}  // namespace
}  // namespace streamgate
