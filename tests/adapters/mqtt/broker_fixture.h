// Shared pieces of the MQTT adapter's broker tests: a fixture that starts
// its own mosquitto on a free loopback port, adapters configured for it, and
// the sequence payloads the delivery tests count.
//
// Threading: test-thread only, except what FakeIngest documents.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "adapters/mqtt/mqtt_adapter.h"
#include "gtest/gtest.h"
#include "tests/adapters/mqtt/test_publisher.h"
#include "tests/fakes/fake_ingest.h"
#include "tests/fakes/mosquitto_broker.h"

namespace streamgate {
namespace testing {

constexpr absl::Duration kWait = absl::Seconds(30);

// Polls `done` until it holds; false after kWait (a bound, not a timing test).
bool WaitFor(const std::function<bool()>& done);

// An adapter for the broker on `port`, reconnecting quickly; `extra` adds
// lines to its `mqtt` section.
std::unique_ptr<MqttAdapter> MakeAdapter(int port, FakeIngest& ingest,
                                         const std::string& client_id,
                                         const std::string& extra = "");

// Answers RESOURCE_EXHAUSTED (a full module queue) while `full` is set.
FakeIngest::Responder FullWhile(const std::atomic<bool>& full);

// An event payload carrying `i`.
std::string Seq(int i);
// The "i" of every accepted event, in arrival order.
std::vector<int> Seqs(const FakeIngest& ingest);

class MqttAdapterTest : public ::testing::Test {
 public:
  int broker_port() const { return broker_->port(); }

  void SetUp() override;
  std::unique_ptr<TestPublisher> Publisher();

  // A successor with the same client id must connect only once the broker
  // has read everything its predecessor sent: a broker taking a session
  // over closes the old connection without reading the PUBACKs still in
  // its socket, and redelivers those messages (duplicates, not a loss, but
  // the tests count exact deliveries).
  bool WaitForBrokerToDrop();

  std::unique_ptr<MosquittoBroker> broker_;
};

}  // namespace testing
}  // namespace streamgate
