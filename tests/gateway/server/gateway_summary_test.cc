// The start-up summary's pieces and the per-module totals line (issue 16.3).
#include "gateway/server/gateway_summary.h"

#include "gateway/server/builtin.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

using ::testing::ElementsAre;

GatewayConfig Parse(const std::string& yaml) {
  AdapterRegistry adapters;
  RegisterBuiltinAdapters(adapters);
  auto c = ParseConfig(yaml, "g.yaml", adapters.Sections());
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : GatewayConfig();
}

TEST(GatewaySummaryTest, InputsAndSinkTargets) {
  const GatewayConfig c = Parse(
      "grpc: {listen: '0.0.0.0:7000'}\n"
      "api_keys:\n"
      "  - {id: k, name: n, key_sha256: "
      "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}\n"
      "mqtt: {host: broker.local, client_id: gw, shared_group: g}\n"
      "modules:\n"
      "  - id: k1\n"
      "    subscribe_events: ['*']\n"
      "    use_uuid: true\n"
      "    sink: {type: kinesis, stream_name: s, region: eu-west-1}\n");
  const std::vector<InputStatus> inputs = DescribeInputs(c);
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[0].address, "0.0.0.0:7000");
  EXPECT_EQ(inputs[0].detail, "plaintext, 1 api key(s)");
  EXPECT_EQ(inputs[1].address, "broker broker.local:1883");
  EXPECT_EQ(inputs[1].detail, "plaintext, qos 1, client id gw, shared group g");
  EXPECT_EQ(SinkTarget(c.modules[0]), "kinesis stream s (region eu-west-1)");
  EXPECT_THAT(
      StartupSummary(c, inputs),
      ElementsAre(
          std::string("streamgate ") + GatewayVersion() + ", config g.yaml",
          "  input grpc: 0.0.0.0:7000 (plaintext, 1 api key(s))",
          "  input mqtt: broker broker.local:1883 (plaintext, qos 1, "
          "client id gw, shared group g)",
          "  module 'k1': events * -> kinesis stream s (region "
          "eu-west-1); memory queue 65536 records / 33554432 bytes; "
          "uuid keys",
          "  devices: 0 in the registry"));
}

TEST(GatewaySummaryTest, TotalsLineWithAndWithoutRates) {
  ModuleStatus before;
  before.id = "m";
  before.records_accepted = 100;
  before.records_delivered = 40;
  ModuleStatus now = before;
  now.records_accepted = 700;
  now.records_delivered = 340;
  now.records_dead_lettered = 2;
  now.queue_depth = 5;
  EXPECT_EQ(ModuleTotalsLine("totals", now, &before, absl::Seconds(60)),
            "module 'm': totals in=700 delivered=340 dead_lettered=2 "
            "rejected_full=0 queued=5 in_rate=10.0/s delivered_rate=5.0/s");
  EXPECT_EQ(ModuleTotalsLine("final totals", now, nullptr, absl::Seconds(60)),
            "module 'm': final totals in=700 delivered=340 dead_lettered=2 "
            "rejected_full=0 queued=5");
}

}  // namespace
}  // namespace streamgate
