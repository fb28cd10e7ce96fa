// MqttAdapter over TLS against a mosquitto listener that requires client
// certificates. The CA, server and client certificates are made with the
// openssl CLI at test time.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "adapters/mqtt/mqtt_adapter.h"
#include "gateway/api/config_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/adapters/mqtt/test_publisher.h"
#include "tests/fakes/fake_ingest.h"
#include "tests/fakes/mosquitto_broker.h"

namespace streamgate {
namespace {

using testing::FakeIngest;
using testing::MosquittoBroker;
using testing::RunShell;
using ::testing::HasSubstr;

class MqttTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/sg-mqtt-tls-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = new std::string(tmpl);
    chmod(tmpl, 0755);  // the broker may run as user mosquitto
    const std::string d = *dir_;
    const std::string quiet = " >>" + d + "/openssl.log 2>&1";
    auto key = [&](const std::string& name) {
      return absl::StrCat("openssl genpkey -algorithm EC -pkeyopt "
                          "ec_paramgen_curve:P-256 -out ", d, "/", name, ".key",
                          quiet);
    };
    auto sign = [&](const std::string& name, const std::string& cn,
                    const std::string& ca, const std::string& ext) {
      return absl::StrCat(
          "openssl req -new -key ", d, "/", name, ".key -subj /CN=", cn,
          " -out ", d, "/", name, ".csr", quiet, " && printf '", ext, "' > ", d,
          "/", name, ".ext && openssl x509 -req -in ", d, "/", name,
          ".csr -CA ", d, "/", ca, ".crt -CAkey ", d, "/", ca,
          ".key -CAcreateserial -days 2 -extfile ", d, "/", name,
          ".ext -out ", d, "/", name, ".crt", quiet);
    };
    for (const char* ca : {"ca", "other-ca"}) {
      ASSERT_TRUE(RunShell(key(ca)).ok());
      ASSERT_TRUE(RunShell(absl::StrCat("openssl req -x509 -new -key ", d, "/",
                                        ca, ".key -subj /CN=streamgate-test-",
                                        ca, " -days 2 -out ", d, "/", ca,
                                        ".crt", quiet))
                      .ok());
    }
    ASSERT_TRUE(RunShell(key("server")).ok());
    ASSERT_TRUE(RunShell(sign("server", "127.0.0.1", "ca",
                              "subjectAltName=IP:127.0.0.1\\n"))
                    .ok());
    ASSERT_TRUE(RunShell(key("client")).ok());
    ASSERT_TRUE(RunShell(sign("client", "gateway-1", "ca",
                              "extendedKeyUsage=clientAuth\\n"))
                    .ok());
    // Started as root, mosquitto reads its key as user mosquitto.
    if (geteuid() == 0) {
      ASSERT_TRUE(RunShell(absl::StrCat("chgrp mosquitto ", d, "/server.key && "
                                        "chmod 0640 ", d, "/server.key"))
                      .ok());
    }
  }
  static void TearDownTestSuite() {
    std::error_code ignored;
    std::filesystem::remove_all(*dir_, ignored);
    delete dir_;
  }

  void SetUp() override {
    const std::string d = *dir_;
    auto broker = MosquittoBroker::Start(absl::StrCat(
        "cafile ", d, "/ca.crt\ncertfile ", d, "/server.crt\nkeyfile ", d,
        "/server.key\nrequire_certificate true\nuse_identity_as_username true\n"
        "tls_version tlsv1.2\n"));
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
  }

  std::unique_ptr<MqttAdapter> Adapter(FakeIngest& ingest,
                                       const std::string& tls_yaml) {
    YAML::Node node = YAML::Load(absl::StrCat(
        "host: 127.0.0.1\nport: ", broker_->port(),
        "\nclient_id: gw-tls\nconnect_timeout_ms: 5000\ntls:\n", tls_yaml));
    auto config = ParseMqttConfig(ConfigReader(node, "mqtt"));
    EXPECT_TRUE(config.ok()) << config.status();
    return std::make_unique<MqttAdapter>(*config, ingest);
  }

  static std::string* dir_;
  std::unique_ptr<MosquittoBroker> broker_;
};

std::string* MqttTlsTest::dir_ = nullptr;

TEST_F(MqttTlsTest, ConnectsWithClientCertificateAndReceives) {
  const std::string d = *dir_;
  FakeIngest ingest;
  ingest.SetDevice(12, 1);
  auto adapter = Adapter(ingest, absl::StrCat("  ca_file: ", d, "/ca.crt\n  cert_file: ",
                                              d, "/client.crt\n  key_file: ", d,
                                              "/client.key\n"));
  absl::Status started = adapter->Start();
  ASSERT_TRUE(started.ok()) << started << "\n" << broker_->Log();
  testing::PublisherTls tls{d + "/ca.crt", d + "/client.crt", d + "/client.key"};
  auto pub = testing::TestPublisher::Connect(broker_->port(), &tls);
  ASSERT_TRUE(pub.ok()) << pub.status();
  ASSERT_TRUE((*pub)->Publish("/devices/12/event", R"({"eventType":"tls"})").ok());
  ASSERT_TRUE(ingest.WaitForAccepted(1, absl::Seconds(30)));
  EXPECT_EQ(ingest.events()[0].event_type, "tls");
  adapter->Shutdown(absl::Now() + absl::Seconds(5));
}

TEST_F(MqttTlsTest, FailsClearlyWithoutClientCertificate) {
  FakeIngest ingest;
  auto adapter = Adapter(ingest, absl::StrCat("  ca_file: ", *dir_, "/ca.crt\n"));
  absl::Status status = adapter->Start();
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()),
              HasSubstr(absl::StrCat("127.0.0.1:", broker_->port())));
  EXPECT_THAT(std::string(status.message()), HasSubstr("certificate required"));
  EXPECT_EQ(adapter->counters().connects.load(), 0u);
}

TEST_F(MqttTlsTest, VerifiesTheBrokerCertificateByDefault) {
  const std::string d = *dir_;
  FakeIngest ingest;
  // The client trusts another CA: the broker's certificate must be refused.
  auto adapter = Adapter(ingest, absl::StrCat("  ca_file: ", d, "/other-ca.crt\n  cert_file: ",
                                              d, "/client.crt\n  key_file: ", d,
                                              "/client.key\n"));
  absl::Status status = adapter->Start();
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("certificate verify failed"));
}

}  // namespace
}  // namespace streamgate
