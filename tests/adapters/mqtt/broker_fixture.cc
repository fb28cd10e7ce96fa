#include "tests/adapters/mqtt/broker_fixture.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gateway/api/config_reader.h"

namespace streamgate {
namespace testing {

bool WaitFor(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + kWait;
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

std::unique_ptr<MqttAdapter> MakeAdapter(int port, FakeIngest& ingest,
                                         const std::string& client_id,
                                         const std::string& extra) {
  YAML::Node node = YAML::Load(
      absl::StrCat("host: 127.0.0.1\nport: ", port, "\nclient_id: ", client_id,
                   "\nreconnect_min_ms: 20\nreconnect_max_ms: 200\n", extra));
  auto config = ParseMqttConfig(ConfigReader(node, "mqtt"));
  EXPECT_TRUE(config.ok()) << config.status();
  return std::make_unique<MqttAdapter>(*config, ingest);
}

FakeIngest::Responder FullWhile(const std::atomic<bool>& full) {
  return [&full](const FakeIngest::Call&) {
    return full.load() ? absl::ResourceExhaustedError("module m: queue full")
                       : absl::OkStatus();
  };
}

std::string Seq(int i) {
  return absl::StrCat(R"({"eventType":"seq","eventData":{"i":)", i, "}}");
}

std::vector<int> Seqs(const FakeIngest& ingest) {
  std::vector<int> out;
  for (const auto& e : ingest.events()) {
    const std::string prefix = R"({"i":)";
    EXPECT_EQ(e.data_json.substr(0, prefix.size()), prefix);
    out.push_back(std::stoi(e.data_json.substr(prefix.size())));
  }
  return out;
}

void MqttAdapterTest::SetUp() {
  auto broker = MosquittoBroker::Start("max_queued_messages 5000\n");
  ASSERT_TRUE(broker.ok()) << broker.status();
  broker_ = std::move(*broker);
}

std::unique_ptr<TestPublisher> MqttAdapterTest::Publisher() {
  auto p = TestPublisher::Connect(broker_->port());
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(*p) : nullptr;
}

bool MqttAdapterTest::WaitForBrokerToDrop() {
  return WaitFor([&] { return broker_->UnreadClosedConnections() == 0; });
}

}  // namespace testing
}  // namespace streamgate
