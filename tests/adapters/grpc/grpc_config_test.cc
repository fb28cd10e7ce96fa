// The gRPC adapter's config sections (`grpc`, `api_keys`) read through
// ConfigReader: defaults, every field, and error messages identical to the
// ones the core's parser gave (tests/e2e/golden/check_config.txt holds the
// same for the whole binary). Also GrpcAdapterFactory's name, sections and
// Create (no network: --check-config calls it).
#include "adapters/grpc/grpc_config.h"

#include <string>

#include "adapters/grpc/factory.h"
#include "adapters/grpc/grpc_adapter.h"
#include "gateway/api/config_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_gateway_status.h"
#include "tests/fakes/fake_ingest.h"

namespace streamgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

absl::StatusOr<GrpcAdapterConfig> Parse(const std::string &yaml) {
  return ParseGrpcAdapterConfig(ConfigReader(YAML::Load(yaml), ""));
}

std::string Error(const std::string &yaml) {
  auto c = Parse(yaml);
  return c.ok() ? "OK" : std::string(c.status().message());
}

const std::string kHash(64, 'a');

TEST(GrpcConfig, DefaultsWithoutSections) {
  for (const char *yaml : {"modules: []\n", "grpc:\napi_keys:\n", "{}"}) {
    auto c = Parse(yaml);
    ASSERT_TRUE(c.ok()) << yaml << ": " << c.status();
    EXPECT_EQ(c->grpc.listen, "127.0.0.1:50051");
    EXPECT_EQ(c->grpc.max_message_bytes, 4 << 20);
    EXPECT_EQ(c->grpc.keepalive_time_ms, 0);
    EXPECT_EQ(c->grpc.drain_grace_ms, 500);
    EXPECT_EQ(c->grpc.stream_window, 256);
    EXPECT_EQ(c->grpc.max_concurrent_streams, 100);
    EXPECT_EQ(c->grpc.memory_limit_bytes, 256 << 20);
    EXPECT_TRUE(c->grpc.tls.cert_file.empty());
    EXPECT_TRUE(c->api_keys.empty());
  }
}

TEST(GrpcConfig, ReadsEveryField) {
  auto c = Parse(
      "grpc:\n"
      "  listen: 0.0.0.0:6000\n"
      "  max_message_bytes: 1048576\n"
      "  keepalive_time_ms: 1\n"
      "  keepalive_timeout_ms: 2\n"
      "  max_connection_age_ms: 3\n"
      "  max_connection_age_grace_ms: 4\n"
      "  drain_grace_ms: 5\n"
      "  stream_window: 6\n"
      "  max_concurrent_streams: 7\n"
      "  memory_limit_bytes: 33554432\n"
      "  tls: {cert_file: /c.pem, key_file: /k.pem, client_ca_file: "
      "/ca.pem}\n");
  ASSERT_TRUE(c.ok()) << c.status();
  const GrpcConfig &g = c->grpc;
  EXPECT_EQ(g.listen, "0.0.0.0:6000");
  EXPECT_EQ(g.max_message_bytes, 1048576);
  EXPECT_EQ(g.keepalive_time_ms, 1);
  EXPECT_EQ(g.keepalive_timeout_ms, 2);
  EXPECT_EQ(g.max_connection_age_ms, 3);
  EXPECT_EQ(g.max_connection_age_grace_ms, 4);
  EXPECT_EQ(g.drain_grace_ms, 5);
  EXPECT_EQ(g.stream_window, 6);
  EXPECT_EQ(g.max_concurrent_streams, 7);
  EXPECT_EQ(g.memory_limit_bytes, 33554432);
  EXPECT_EQ(g.tls.cert_file, "/c.pem");
  EXPECT_EQ(g.tls.key_file, "/k.pem");
  EXPECT_EQ(g.tls.client_ca_file, "/ca.pem");
}

// Issue 15: the bounds gRPC 1.51 offers, with their defaults.
TEST(GrpcConfig, HardeningDefaults) {
  auto c = Parse("{}");
  ASSERT_TRUE(c.ok()) << c.status();
  const GrpcConfig &g = c->grpc;
  EXPECT_EQ(g.max_connection_idle_ms, 300000);
  EXPECT_EQ(g.keepalive_min_ping_interval_ms, 60000);
  EXPECT_EQ(g.keepalive_max_ping_strikes, 2);
  EXPECT_FALSE(g.keepalive_permit_without_calls);
  EXPECT_EQ(g.max_metadata_bytes, 16384);
  EXPECT_EQ(g.handshake_timeout_ms, 10000);
  EXPECT_EQ(g.max_threads, 16);
}

TEST(GrpcConfig, ReadsHardeningFields) {
  auto c = Parse(
      "grpc:\n"
      "  max_connection_idle_ms: 0\n"
      "  keepalive_min_ping_interval_ms: 1000\n"
      "  keepalive_max_ping_strikes: 5\n"
      "  keepalive_permit_without_calls: true\n"
      "  max_metadata_bytes: 8KiB\n"
      "  handshake_timeout_ms: 2000\n"
      "  max_threads: 4\n");
  ASSERT_TRUE(c.ok()) << c.status();
  const GrpcConfig &g = c->grpc;
  EXPECT_EQ(g.max_connection_idle_ms, 0);
  EXPECT_EQ(g.keepalive_min_ping_interval_ms, 1000);
  EXPECT_EQ(g.keepalive_max_ping_strikes, 5);
  EXPECT_TRUE(g.keepalive_permit_without_calls);
  EXPECT_EQ(g.max_metadata_bytes, 8192);
  EXPECT_EQ(g.handshake_timeout_ms, 2000);
  EXPECT_EQ(g.max_threads, 4);
  EXPECT_THAT(Error("grpc: {max_metadata_bytes: 10}\n"),
              HasSubstr("grpc.max_metadata_bytes (line 1)"));
  EXPECT_THAT(Error("grpc: {handshake_timeout_ms: 0}\n"),
              HasSubstr("grpc.handshake_timeout_ms (line 1)"));
  EXPECT_THAT(Error("grpc: {max_threads: 1}\n"),
              HasSubstr("grpc.max_threads (line 1)"));
}

TEST(GrpcConfig, DefaultMemoryLimitFollowsMaxMessageBytes) {
  auto c = Parse("grpc: {max_message_bytes: 134217728}\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->grpc.memory_limit_bytes, 4 * 134217728LL);
}

// The messages of tests/e2e/golden/check_config.txt, without the
// "config FILE: " the core puts in front.
TEST(GrpcConfig, ErrorsAsBefore) {
  EXPECT_EQ(Error("grpc:\n  listen: localhost\n"),
            "grpc.listen (line 2): must be HOST:PORT, e.g. 127.0.0.1:50051");
  EXPECT_EQ(Error("grpc:\n  max_message_bytes: 100\n"),
            "grpc.max_message_bytes (line 2): must be between 1024 and "
            "2147483647, got 100");
  EXPECT_EQ(Error("grpc:\n  max_message_bytes: 16777216\n"
                  "  memory_limit_bytes: 16777216\n"),
            "grpc.memory_limit_bytes (line 3): must be at least twice "
            "grpc.max_message_bytes (33554432)");
  EXPECT_EQ(Error("grpc:\n  stream_window: lots\n"),
            "grpc.stream_window (line 2): must be an integer");
  EXPECT_EQ(Error("grpc:\n  tls: {cert_file: server.pem}\n"),
            "grpc.tls.key_file (line 2): required with grpc.tls.cert_file "
            "(a PEM private key)");
  EXPECT_EQ(Error("grpc:\n  tls: {key_file: /k.pem}\n"),
            "grpc.tls.cert_file (line 2): required when grpc.tls is set (a "
            "PEM certificate chain)");
  EXPECT_EQ(Error("grpc:\n  listen: \"127.0.0.1:50051\"\n  port: 50051\n"),
            "grpc.port (line 3): unknown field (expected one of: listen, "
            "max_message_bytes, keepalive_time_ms, keepalive_timeout_ms, "
            "max_connection_age_ms, max_connection_age_grace_ms, "
            "stream_window, drain_grace_ms, max_concurrent_streams, "
            "memory_limit_bytes, tls, max_connection_idle_ms, "
            "keepalive_min_ping_interval_ms, keepalive_max_ping_strikes, "
            "keepalive_permit_without_calls, max_metadata_bytes, "
            "handshake_timeout_ms, max_threads)");
  EXPECT_THAT(Error("grpc:\n  tls: {cert_file: /c.pem, key_file: /k, ca: x}\n"),
              HasSubstr("grpc.tls.ca (line 2): unknown field"));
  EXPECT_EQ(Error("grpc: [1]\n"), "grpc (line 1): must be a map");
  EXPECT_EQ(Error("grpc:\n  tls: yes\n"), "grpc.tls (line 2): must be a map");
  EXPECT_EQ(Error("grpc:\n  memory_limit_bytes: 1\n"),
            "grpc.memory_limit_bytes (line 2): must be between 16777216 and "
            "1099511627776, got 1");
}

TEST(ApiKeysConfig, ParsesKeys) {
  auto c = Parse(
      "api_keys:\n"
      "  - {id: k1, name: One, key_sha256: " +
      kHash +
      "}\n"
      "  - {id: k2, name: Two, key_sha256: " +
      std::string(64, 'B') + "}\n");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->api_keys.size(), 2u);
  EXPECT_EQ(c->api_keys[0].id, "k1");
  EXPECT_EQ(c->api_keys[0].name, "One");
  EXPECT_EQ(c->api_keys[0].key_sha256, kHash);
  EXPECT_EQ(c->api_keys[1].key_sha256, std::string(64, 'b'));  // lower-cased
}

TEST(ApiKeysConfig, ErrorsNameTheFieldAndLine) {
  EXPECT_EQ(Error("api_keys:\n  - {id: k1, name: ops, key_sha256: " + kHash +
                  "}\n  - {id: k1, name: dev, key_sha256: " +
                  std::string(64, 'b') + "}\n"),
            "api_keys[1].id (line 3): key id 'k1' is used twice");
  EXPECT_EQ(Error("api_keys:\n  - {id: k1, key_sha256: " + kHash + "}\n"),
            "api_keys[0].name (line 2): required");
  EXPECT_EQ(Error("api_keys: {id: k1, name: ops}\n"),
            "api_keys (line 1): must be a list of {id, name, key_sha256}");
  EXPECT_EQ(
      Error("api_keys:\n  - {id: k1, name: ops, key_sha256: my-secret-key}\n"),
      "api_keys[0].key_sha256 (line 2): must be 64 hex characters (the "
      "SHA-256 of the key, from streamgate --hash-key), not the key "
      "itself");
  EXPECT_EQ(Error("api_keys:\n  - {name: One, key_sha256: " + kHash + "}\n"),
            "api_keys[0].id (line 2): required");
  EXPECT_EQ(Error("api_keys:\n  - {id: \"\", name: One, key_sha256: " + kHash +
                  "}\n"),
            "api_keys[0].id (line 2): required");
  EXPECT_EQ(Error("api_keys:\n  - {id: k, name: n}\n"),
            "api_keys[0].key_sha256 (line 2): required (streamgate --hash-key "
            "prints it)");
  EXPECT_THAT(Error("api_keys:\n  - {id: k, name: n, key_sha256: " +
                    std::string(63, 'a') + "g}\n"),
              HasSubstr("api_keys[0].key_sha256 (line 2)"));
  EXPECT_EQ(
      Error("api_keys:\n  - {id: a, name: n, key_sha256: " + kHash +
            "}\n  - {id: b, name: m, key_sha256: " + kHash + "}\n"),
      "api_keys[1].key_sha256 (line 3): the same key is configured twice");
  EXPECT_THAT(Error("api_keys:\n  - {id: k, name: n, key_sha256: " + kHash +
                    ", key: x}\n"),
              HasSubstr("api_keys[0].key (line 2): unknown field"));
  EXPECT_EQ(Error("api_keys:\n  - just-a-string\n"),
            "api_keys[0] (line 2): must be a map");
  // The plain key must never be echoed back in the error.
  EXPECT_THAT(
      Error("api_keys:\n  - {id: k, name: n, key_sha256: my-plain-key}\n"),
      Not(HasSubstr("my-plain-key")));
}

TEST(GrpcAdapterFactory, OwnsItsSectionsAndIsAlwaysEnabled) {
  auto factory = MakeGrpcAdapterFactory();
  EXPECT_EQ(factory->name(), "grpc");
  EXPECT_THAT(factory->sections(), ElementsAre("grpc", "api_keys"));

  testing::FakeIngest ingest;
  testing::FakeGatewayStatus status;
  const AdapterContext context{ingest, NoDoorRejects::Instance(), status};
  auto adapter =
      factory->Create(ConfigReader(YAML::Load("modules: []"), ""), context);
  ASSERT_TRUE(adapter.ok()) << adapter.status();
  ASSERT_NE(*adapter, nullptr);
  EXPECT_EQ((*adapter)->name(), "grpc");
  auto *grpc = dynamic_cast<GrpcAdapter *>(adapter->get());
  ASSERT_NE(grpc, nullptr);
  EXPECT_EQ(grpc->port(), 0);  // built, not started
  EXPECT_EQ(grpc->DrainGrace(), absl::Milliseconds(500));
  EXPECT_FALSE(grpc->auth().enabled());

  adapter = factory->Create(
      ConfigReader(YAML::Load("grpc: {drain_grace_ms: 20}\napi_keys:\n"
                              "  - {id: k, name: n, key_sha256: " +
                              kHash + "}\n"),
                   ""),
      context);
  ASSERT_TRUE(adapter.ok()) << adapter.status();
  grpc = dynamic_cast<GrpcAdapter *>(adapter->get());
  EXPECT_EQ(grpc->DrainGrace(), absl::Milliseconds(20));
  EXPECT_TRUE(grpc->auth().enabled());

  adapter = factory->Create(
      ConfigReader(YAML::Load("grpc: {listen: nowhere}"), ""), context);
  ASSERT_FALSE(adapter.ok());
  EXPECT_EQ(adapter.status().message(),
            "grpc.listen (line 1): must be HOST:PORT, e.g. 127.0.0.1:50051");
}

}  // namespace
}  // namespace streamgate
