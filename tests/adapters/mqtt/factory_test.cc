// MqttAdapterFactory: owns the `mqtt` section, builds no adapter without it,
// and validates the section without touching the network.
#include "adapters/mqtt/factory.h"

#include <memory>
#include <string>
#include <vector>

#include "gateway/api/adapter.h"
#include "gateway/api/config_reader.h"
#include "gateway/api/gateway_status.h"
#include "gateway/api/rejects.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_ingest.h"

namespace streamgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

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

class MqttFactoryTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<Adapter>> Create(const std::string& yaml) {
    const ConfigReader root(YAML::Load(yaml), "");
    return factory_->Create(root, context_);
  }

  std::unique_ptr<AdapterFactory> factory_ = MakeMqttAdapterFactory();
  testing::FakeIngest ingest_;
  NoModules status_;
  AdapterContext context_{ingest_, NoDoorRejects::Instance(), status_};
};

TEST_F(MqttFactoryTest, OwnsTheMqttSection) {
  EXPECT_EQ(factory_->name(), "mqtt");
  EXPECT_THAT(factory_->sections(), ElementsAre("mqtt"));
}

TEST_F(MqttFactoryTest, NoSectionOrANullOneBuildsNothing) {
  auto absent = Create("log_level: info\n");
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_EQ(*absent, nullptr);
  auto null = Create("mqtt:\nlog_level: info\n");
  ASSERT_TRUE(null.ok()) << null.status();
  EXPECT_EQ(*null, nullptr);
  auto tilde = Create("mqtt: ~\n");
  ASSERT_TRUE(tilde.ok()) << tilde.status();
  EXPECT_EQ(*tilde, nullptr);
}

TEST_F(MqttFactoryTest, BuildsWithoutConnecting) {
  // Port 1 on loopback has no broker: Create must still succeed (no I/O).
  auto adapter =
      Create("mqtt:\n  host: 127.0.0.1\n  port: 1\n  client_id: g\n");
  ASSERT_TRUE(adapter.ok()) << adapter.status();
  ASSERT_NE(*adapter, nullptr);
  EXPECT_EQ((*adapter)->name(), "mqtt");
}

TEST_F(MqttFactoryTest, ErrorsNameTheFieldAndLine) {
  auto bad = Create("mqtt:\n  host: 127.0.0.1\n  qos: 9\n  client_id: g\n");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(bad.status().message()),
            "mqtt.qos (line 3): must be between 0 and 2, got 9");
  auto scalar = Create("log_level: info\nmqtt: yes\n");
  EXPECT_EQ(std::string(scalar.status().message()),
            "mqtt (line 2): must be a map");
}

}  // namespace
}  // namespace streamgate
