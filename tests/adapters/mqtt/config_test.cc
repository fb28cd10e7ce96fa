#include "adapters/mqtt/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gateway/api/config_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

using ::testing::HasSubstr;

// The section under a leading "mqtt:" line, so YAML lines match the file;
// opened as the factory opens it.
absl::StatusOr<MqttConfig> Parse(const std::string &body) {
  const ConfigReader root(YAML::Load("mqtt:\n" + body), "");
  absl::StatusOr<ConfigReader> section = root.Section("mqtt", false);
  if (!section.ok()) return section.status();
  return ParseMqttConfig(*section);
}

std::string Error(const std::string &body) {
  auto c = Parse(body);
  if (c.ok()) return "OK";
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

class TempFile {
 public:
  explicit TempFile(const std::string &content) {
    char tmpl[] = "/tmp/sg-mqtt-config-XXXXXX";
    const int fd = mkstemp(tmpl);
    path_ = tmpl;
    ::write(fd, content.data(), content.size());
    ::close(fd);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string &path() const { return path_; }

 private:
  std::string path_;
};

constexpr char kMinimal[] = "  host: broker.local\n  client_id: gw-1\n";

TEST(MqttConfigTest, Defaults) {
  auto c = Parse(kMinimal);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host, "broker.local");
  EXPECT_EQ(c->port, 1883);
  EXPECT_EQ(c->client_id, "gw-1");
  EXPECT_EQ(c->protocol, 5);
  EXPECT_EQ(c->qos, 1);
  EXPECT_EQ(c->keepalive_s, 60);
  EXPECT_FALSE(c->clean_session);
  EXPECT_GT(c->session_expiry_s, 0u);
  EXPECT_TRUE(c->shared_group.empty());
  EXPECT_FALSE(c->tls.has_value());
  EXPECT_FALSE(c->default_home_id.has_value());
  EXPECT_EQ(c->max_packet_bytes, 8u << 20);
}

TEST(MqttConfigTest, MaxPacketBytes) {
  auto c = Parse(std::string(kMinimal) + "  max_packet_bytes: 65536\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->max_packet_bytes, 65536u);
  EXPECT_THAT(Error(std::string(kMinimal) + "  max_packet_bytes: 100\n"),
              HasSubstr("mqtt.max_packet_bytes (line 4)"));
  EXPECT_THAT(Error(std::string(kMinimal) + "  max_packet_bytes: 300000000\n"),
              HasSubstr("mqtt.max_packet_bytes (line 4)"));
}

TEST(MqttConfigTest, AllFields) {
  TempFile ca("ca"), cert("cert"), key("key");
  auto c = Parse(std::string(kMinimal) +
                 "  port: 18883\n  username: gw\n  password: s3cret\n"
                 "  protocol: \"3.1.1\"\n  qos: 0\n  keepalive_s: 30\n"
                 "  clean_session: true\n  shared_group: gateways\n"
                 "  default_home_id: 1001\n  session_expiry_s: 3600\n"
                 "  tls:\n    ca_file: " +
                 ca.path() + "\n    cert_file: " + cert.path() +
                 "\n    key_file: " + key.path() + "\n    verify: false\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->port, 18883);
  EXPECT_EQ(c->username, "gw");
  EXPECT_EQ(c->password, "s3cret");
  EXPECT_EQ(c->protocol, 4);
  EXPECT_EQ(c->qos, 0);
  EXPECT_EQ(c->keepalive_s, 30);
  EXPECT_TRUE(c->clean_session);
  EXPECT_EQ(c->shared_group, "gateways");
  EXPECT_EQ(*c->default_home_id, 1001);
  EXPECT_EQ(c->session_expiry_s, 3600u);
  ASSERT_TRUE(c->tls.has_value());
  EXPECT_EQ(c->tls->ca_file, ca.path());
  EXPECT_FALSE(c->tls->verify);
}

TEST(MqttConfigTest, TlsDefaultsToPort8883AndVerification) {
  TempFile ca("ca");
  auto c =
      Parse(std::string(kMinimal) + "  tls:\n    ca_file: " + ca.path() + "\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->port, 8883);
  EXPECT_TRUE(c->tls->verify);
}

TEST(MqttConfigTest, SectionMustBeAMap) {
  EXPECT_THAT(Error("  - a\n"), HasSubstr("mqtt (line 2): must be a map"));
}

TEST(MqttConfigTest, UnknownFieldWithLine) {
  EXPECT_EQ(Error(std::string(kMinimal) + "  hots: x\n"),
            "mqtt.hots (line 4): unknown field (expected one of: host, port, "
            "client_id, username, password, password_file, protocol, qos, "
            "keepalive_s, clean_session, session_expiry_s, shared_group, "
            "default_home_id, tls, reconnect_min_ms, reconnect_max_ms, "
            "connect_timeout_ms, max_packet_bytes, mode_topics, mappings, "
            "start_timeout_ms, receive_maximum, read_linger_us)");
}

TEST(MqttConfigTest, HostRequired) {
  EXPECT_THAT(Error("  client_id: gw\n"), HasSubstr("mqtt.host"));
  EXPECT_THAT(Error("  host: \"\"\n  client_id: gw\n"), HasSubstr("mqtt.host"));
}

TEST(MqttConfigTest, PortRange) {
  EXPECT_EQ(Error(std::string(kMinimal) + "  port: 70000\n"),
            "mqtt.port (line 4): must be between 1 and 65535, got 70000");
  EXPECT_EQ(Error(std::string(kMinimal) + "  port: abc\n"),
            "mqtt.port (line 4): must be an integer");
  EXPECT_THAT(Error(std::string(kMinimal) + "  port: 0\n"),
              HasSubstr("mqtt.port"));
}

TEST(MqttConfigTest, ClientIdRequiredForPersistentSessions) {
  EXPECT_THAT(Error("  host: h\n"), HasSubstr("mqtt.client_id"));
  EXPECT_EQ(Error("  host: h\n  clean_session: true\n"), "OK");
  EXPECT_THAT(Error("  host: h\n  client_id: \"\"\n"),
              HasSubstr("mqtt.client_id (line 3)"));
}

TEST(MqttConfigTest, PasswordRules) {
  EXPECT_THAT(Error(std::string(kMinimal) + "  password: x\n"),
              HasSubstr("mqtt.username"));
  TempFile pw("secret-from-file\n");
  EXPECT_THAT(Error(std::string(kMinimal) +
                    "  username: u\n  password: x\n"
                    "  password_file: " +
                    pw.path() + "\n"),
              HasSubstr("mqtt.password_file (line 6): give either"));
  auto c = Parse(std::string(kMinimal) +
                 "  username: u\n  password_file: " + pw.path() + "\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->password, "secret-from-file");
}

TEST(MqttConfigTest, PasswordFileErrorsNeverShowTheSecret) {
  const std::string missing =
      Error(std::string(kMinimal) +
            "  username: u\n  password_file: /nonexistent/pw\n");
  EXPECT_THAT(missing, HasSubstr("mqtt.password_file (line 5): cannot read "
                                 "'/nonexistent/pw'"));
  TempFile empty("\n");
  EXPECT_THAT(Error(std::string(kMinimal) +
                    "  username: u\n  password_file: " + empty.path() + "\n"),
              HasSubstr("is empty"));
  // A wrong type for password must not echo the value either.
  const std::string typed =
      Error(std::string(kMinimal) + "  username: u\n  password: [hunter2]\n");
  EXPECT_THAT(typed, HasSubstr("mqtt.password"));
  EXPECT_THAT(typed, ::testing::Not(HasSubstr("hunter2")));
}

TEST(MqttConfigTest, Protocol) {
  EXPECT_EQ(Parse(std::string(kMinimal) + "  protocol: 5\n")->protocol, 5);
  EXPECT_EQ(Parse(std::string(kMinimal) + "  protocol: 3.1.1\n")->protocol, 4);
  EXPECT_EQ(Error(std::string(kMinimal) + "  protocol: 3.1\n"),
            "mqtt.protocol (line 4): must be \"3.1.1\" or \"5\"");
}

TEST(MqttConfigTest, Qos) {
  EXPECT_THAT(Error(std::string(kMinimal) + "  qos: 3\n"),
              HasSubstr("mqtt.qos (line 4)"));
  EXPECT_THAT(Error(std::string(kMinimal) + "  qos: -1\n"),
              HasSubstr("mqtt.qos"));
}

TEST(MqttConfigTest, Keepalive) {
  EXPECT_THAT(Error(std::string(kMinimal) + "  keepalive_s: 2\n"),
              HasSubstr("mqtt.keepalive_s (line 4): must be between 5 and "
                        "65535, got 2"));
}

TEST(MqttConfigTest, CleanSessionIsBool) {
  EXPECT_EQ(Error(std::string(kMinimal) + "  clean_session: maybe\n"),
            "mqtt.clean_session (line 4): must be true or false");
}

// Every boolean takes the same YAML words as every other section's.
TEST(MqttConfigTest, BooleansTakeTheSharedYamlWords) {
  TempFile ca("ca");
  auto c = Parse("  host: h\n  clean_session: on\n  tls:\n    ca_file: " +
                 ca.path() + "\n    verify: off\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->clean_session);
  EXPECT_FALSE(c->tls->verify);
  c = Parse(std::string(kMinimal) + "  clean_session: No\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->clean_session);
}

TEST(MqttConfigTest, SharedGroup) {
  for (const char *bad : {"\"\"", "a/b", "a+", "\"#\""}) {
    EXPECT_THAT(Error(std::string(kMinimal) + "  shared_group: " + bad + "\n"),
                HasSubstr("mqtt.shared_group (line 4)"))
        << bad;
  }
}

TEST(MqttConfigTest, DefaultHomeIdPositive) {
  EXPECT_THAT(Error(std::string(kMinimal) + "  default_home_id: 0\n"),
              HasSubstr("mqtt.default_home_id (line 4)"));
  EXPECT_THAT(Error(std::string(kMinimal) + "  default_home_id: x\n"),
              HasSubstr("mqtt.default_home_id"));
}

TEST(MqttConfigTest, TlsRules) {
  TempFile ca("ca"), cert("cert");
  EXPECT_THAT(Error(std::string(kMinimal) + "  tls: yes\n"),
              HasSubstr("mqtt.tls (line 4): must be a map"));
  EXPECT_THAT(Error(std::string(kMinimal) + "  tls:\n    verify: true\n"),
              HasSubstr("mqtt.tls.ca_file"));
  EXPECT_THAT(
      Error(std::string(kMinimal) + "  tls:\n    ca_file: /nonexistent/ca\n"),
      HasSubstr("mqtt.tls.ca_file (line 5): cannot read '/nonexistent/ca'"));
  EXPECT_THAT(Error(std::string(kMinimal) + "  tls:\n    ca_file: " +
                    ca.path() + "\n    cert_file: " + cert.path() + "\n"),
              HasSubstr("mqtt.tls.key_file"));
  EXPECT_THAT(Error(std::string(kMinimal) + "  tls:\n    ca_file: " +
                    ca.path() + "\n    verify: sometimes\n"),
              HasSubstr("mqtt.tls.verify (line 6)"));
  EXPECT_THAT(Error(std::string(kMinimal) +
                    "  tls:\n    ca_file: " + ca.path() + "\n    cafile: x\n"),
              HasSubstr("mqtt.tls.cafile (line 6): unknown field (expected "
                        "one of: ca_file, cert_file, key_file, verify)"));
}

TEST(MqttConfigTest, ReconnectBounds) {
  EXPECT_THAT(Error(std::string(kMinimal) +
                    "  reconnect_min_ms: 500\n  reconnect_max_ms: 100\n"),
              HasSubstr("mqtt.reconnect_max_ms (line 5)"));
}

// Start-up waits forever unless start_timeout_ms is set; receive_maximum
// is MQTT 5's 1..65535 with the protocol's default.
TEST(MqttConfigTest, StartTimeoutAndReceiveMaximum) {
  auto d = Parse(kMinimal);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_FALSE(d->start_timeout_ms.has_value());
  EXPECT_EQ(d->receive_maximum, 65535);
  auto c = Parse(std::string(kMinimal) +
                 "  start_timeout_ms: 5000\n  receive_maximum: 10\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->start_timeout_ms, 5000);
  EXPECT_EQ(c->receive_maximum, 10);
  EXPECT_EQ(Error(std::string(kMinimal) + "  receive_maximum: 0\n"),
            "mqtt.receive_maximum (line 4): must be between 1 and 65535, "
            "got 0");
  EXPECT_THAT(Error(std::string(kMinimal) + "  start_timeout_ms: 0\n"),
              HasSubstr("mqtt.start_timeout_ms (line 4)"));
}

// read_linger_us: 1 ms by default, 0 turns it off, at most 100 ms.
TEST(MqttConfigTest, ReadLinger) {
  auto d = Parse(kMinimal);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->read_linger_us, 1000);
  auto off = Parse(std::string(kMinimal) + "  read_linger_us: 0\n");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_EQ(off->read_linger_us, 0);
  EXPECT_EQ(Error(std::string(kMinimal) + "  read_linger_us: 100001\n"),
            "mqtt.read_linger_us (line 4): must be between 0 and 100000, "
            "got 100001");
}

}  // namespace
}  // namespace streamgate
