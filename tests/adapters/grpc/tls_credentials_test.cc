// ReloadableTlsCredentials through a real GrpcAdapter: start-up errors name
// the field (missing file, bad PEM, key not matching), a TLS client with the
// right CA connects, and after the certificate files are replaced and
// Reload() runs (what SIGHUP does), a new connection is served the new
// certificate: a client trusting only the new CA succeeds and one trusting
// only the old CA fails. Certificates are made with the openssl CLI.
#include "adapters/grpc/tls_credentials.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "adapters/grpc/grpc_adapter.h"
#include "adapters/grpc/listener_probe.h"
#include "adapters/grpc/listener_probe.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "streamgate/v1/gateway.grpc.pb.h"
#include "tests/fakes/fake_gateway_status.h"
#include "tests/fakes/fake_ingest.h"

namespace streamgate {
namespace {

using ::testing::HasSubstr;

std::string Dir() {
  static const std::string dir = [] {
    char tmpl[] = "/tmp/sg_tls_test_XXXXXX";
    return std::string(mkdtemp(tmpl));
  }();
  return dir;
}

void Sh(const std::string& cmd) {
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

// A CA `name`-ca and a server certificate `name`-server for 127.0.0.1.
void MakePki(const std::string& name) {
  const std::string d = Dir() + "/" + name;
  Sh(absl::StrCat(
      "cd ", Dir(),
      " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 "
      "-subj /CN=",
      name, "-ca -keyout ", d, "-ca.key -out ", d,
      "-ca.pem 2>/dev/null && openssl req -newkey rsa:2048 -nodes -subj "
      "/CN=localhost -keyout ",
      d, "-server.key -out ", d,
      "-server.csr 2>/dev/null && printf 'subjectAltName=IP:127.0.0.1,"
      "DNS:localhost\\n' > ",
      d, "-ext.cnf && openssl x509 -req -days 2 -in ", d, "-server.csr -CA ", d,
      "-ca.pem -CAkey ", d,
      "-ca.key "
      "-CAcreateserial -extfile ",
      d, "-ext.cnf -out ", d, "-server.pem 2>/dev/null"));
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    MakePki("a");
    MakePki("b");
    Sh(absl::StrCat("printf 'not a pem\\n' > ", Dir(), "/garbage.pem"));
  }
  static void TearDownTestSuite() { Sh("rm -rf " + Dir()); }

  static std::string P(const std::string& f) { return Dir() + "/" + f; }

  void TearDown() override {
    if (adapter_) adapter_->Shutdown(absl::Now() + absl::Seconds(5));
  }

  absl::Status Start(const std::string& cert, const std::string& key) {
    GrpcAdapterConfig config;
    config.grpc.listen = "127.0.0.1:0";
    config.grpc.tls.cert_file = cert;
    config.grpc.tls.key_file = key;
    adapter_ = std::make_unique<GrpcAdapter>(
        std::move(config),
        AdapterContext{ingest_, NoDoorRejects::Instance(), status_});
    return adapter_->Start();
  }

  // A fresh connection (own subchannel pool) trusting only `ca_file`.
  grpc::StatusCode Call(const std::string& ca_file) {
    grpc::SslCredentialsOptions opts;
    opts.pem_root_certs = Read(ca_file);
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    auto channel =
        grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", adapter_->port()),
                                  grpc::SslCredentials(opts), args);
    auto stub = v1::Gateway::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(10));
    v1::BulkData b;
    b.set_device_id(1);
    b.set_label("l");
    v1::PublishResponse r;
    return stub->PublishBulkData(&ctx, b, &r).error_code();
  }

  testing::FakeIngest ingest_;
  testing::FakeGatewayStatus status_;
  std::unique_ptr<GrpcAdapter> adapter_;
};

TEST_F(TlsTest, StartUpErrorsNameTheField) {
  absl::Status st = Start(P("missing.pem"), P("a-server.key"));
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("grpc.tls.cert_file: " + P("missing.pem") +
                        ": cannot be read"));
  st = Start(P("garbage.pem"), P("a-server.key"));
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("grpc.tls.cert_file: " + P("garbage.pem") +
                        ": not a PEM certificate"));
  st = Start(P("a-server.pem"), P("garbage.pem"));
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("grpc.tls.key_file: " + P("garbage.pem") +
                        ": not a PEM private key"));
  st = Start(P("a-server.pem"), P("b-server.key"));
  EXPECT_THAT(std::string(st.message()),
              HasSubstr("grpc.tls.key_file: " + P("b-server.key") +
                        ": does not match the certificate"));
  ReloadableTlsCredentials::TlsFiles files;
  files.cert_file = P("a-server.pem");
  files.key_file = P("a-server.key");
  files.client_ca_file = P("garbage.pem");
  auto creds = ReloadableTlsCredentials::Create(files);
  ASSERT_FALSE(creds.ok());
  EXPECT_THAT(std::string(creds.status().message()),
              HasSubstr("grpc.tls.client_ca_file: " + P("garbage.pem")));
  adapter_.reset();
}

TEST_F(TlsTest, ReloadServesNewCertificateToNewConnections) {
  Sh(absl::StrCat("cp ", P("a-server.pem"), " ", P("live.pem"), " && cp ",
                  P("a-server.key"), " ", P("live.key")));
  ASSERT_TRUE(Start(P("live.pem"), P("live.key")).ok());
  EXPECT_EQ(Call(P("a-ca.pem")), grpc::StatusCode::OK);
  EXPECT_EQ(Call(P("b-ca.pem")), grpc::StatusCode::UNAVAILABLE);

  // A broken replacement is refused and the old certificate stays.
  Sh(absl::StrCat("cp ", P("garbage.pem"), " ", P("live.pem")));
  adapter_->Reload();
  EXPECT_EQ(Call(P("a-ca.pem")), grpc::StatusCode::OK);

  Sh(absl::StrCat("cp ", P("b-server.pem"), " ", P("live.pem"), " && cp ",
                  P("b-server.key"), " ", P("live.key")));
  // Not re-read until Reload (SIGHUP).
  EXPECT_EQ(Call(P("a-ca.pem")), grpc::StatusCode::OK);
  adapter_->Reload();
  EXPECT_EQ(Call(P("b-ca.pem")), grpc::StatusCode::OK);
  EXPECT_EQ(Call(P("a-ca.pem")), grpc::StatusCode::UNAVAILABLE);
}

// The watchdog's probe on a TLS listener: a handshake, answered while the
// server runs (also with mutual TLS, where the probe has no certificate),
// refused once it is gone.
TEST_F(TlsTest, ListenerProbeHandshakes) {
  ASSERT_TRUE(Start(P("a-server.pem"), P("a-server.key")).ok());
  ASSERT_TRUE(adapter_->can_probe_listener());
  EXPECT_TRUE(adapter_->ProbeListener(absl::Seconds(10)).ok());
  const int port = adapter_->port();
  adapter_->Shutdown(absl::Now() + absl::Seconds(5));
  adapter_.reset();
  ListenerProbe gone(absl::StrCat("127.0.0.1:", port), /*tls=*/true);
  EXPECT_FALSE(gone.Check(absl::Seconds(2)).ok());
}

TEST_F(TlsTest, ListenerProbeAnsweredByMutualTls) {
  GrpcAdapterConfig config;
  config.grpc.listen = "127.0.0.1:0";
  config.grpc.tls.cert_file = P("a-server.pem");
  config.grpc.tls.key_file = P("a-server.key");
  config.grpc.tls.client_ca_file = P("a-ca.pem");
  adapter_ = std::make_unique<GrpcAdapter>(
      std::move(config),
      AdapterContext{ingest_, NoDoorRejects::Instance(), status_});
  ASSERT_TRUE(adapter_->Start().ok());
  EXPECT_TRUE(adapter_->ProbeListener(absl::Seconds(10)).ok());
}

}  // namespace
}  // namespace streamgate
