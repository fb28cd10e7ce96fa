// ApiKeyAuthenticator: the header rules, hashing, the api_keys config
// validation, and real gRPC calls (unary and stream) against a GrpcAdapter
// that must reject without a valid key and pass the key's id and name, and
// nothing else, to Ingest. Also checks the key never reaches the log.
#include "adapters/grpc/api_key_auth.h"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "adapters/grpc/grpc_adapter.h"
#include "gateway/core/config.h"
#include "gateway/common/logging.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ostream_sink.h"
#include "streamgate/v1/gateway.grpc.pb.h"

namespace streamgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kKey[] = "s3cr3t-key-value-42";
constexpr char kOtherKey[] = "another-key";
// echo -n s3cr3t-key-value-42 | sha256sum (computed independently below).

std::vector<ApiKeyConfig> Keys() {
  return {{"k1", "Project One", ApiKeyAuthenticator::HashKey(kKey)},
          {"k2", "Project Two", ApiKeyAuthenticator::HashKey(kOtherKey)}};
}

absl::StatusOr<AuthenticatedCaller> Check(const ApiKeyAuthenticator& auth,
                                          const char* header) {
  if (header == nullptr) return auth.AuthenticateHeader(nullptr, "peer");
  absl::string_view v(header);
  return auth.AuthenticateHeader(&v, "peer");
}

TEST(HashKey, IsLowerHexSha256) {
  // sha256("abc"), FIPS 180-2 test vector.
  EXPECT_EQ(ApiKeyAuthenticator::HashKey("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiKeyAuthenticator, DisabledWithoutKeysAllowsAnonymous) {
  ApiKeyAuthenticator auth({});
  EXPECT_FALSE(auth.enabled());
  auto c = Check(auth, nullptr);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->key_id, "");
  EXPECT_EQ(c->key_name, "");
  // A header is ignored too: nothing to check it against.
  c = Check(auth, "Bearer whatever");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->key_id, "");
}

TEST(ApiKeyAuthenticator, RightKeyNamesTheCaller) {
  ApiKeyAuthenticator auth(Keys());
  EXPECT_TRUE(auth.enabled());
  auto c = Check(auth, "Bearer s3cr3t-key-value-42");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->key_id, "k1");
  EXPECT_EQ(c->key_name, "Project One");
  c = Check(auth, "bearer another-key");  // the scheme is case-insensitive
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->key_id, "k2");
}

TEST(ApiKeyAuthenticator, RejectsMissingWrongAndBadScheme) {
  ApiKeyAuthenticator auth(Keys());
  for (const char* h : {static_cast<const char*>(nullptr), "Bearer wrong",
                        "Bearer ", "Bearer s3cr3t-key-value-4",
                        "Bearer s3cr3t-key-value-42 ", "Basic s3cr3t-key-value-42",
                        "s3cr3t-key-value-42", ""}) {
    auto c = Check(auth, h);
    ASSERT_FALSE(c.ok()) << (h ? h : "(none)");
    EXPECT_EQ(c.status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_THAT(std::string(c.status().message()), Not(HasSubstr(kKey)));
  }
}

TEST(ApiKeyAuthenticator, AcceptsUpperCaseConfiguredHash) {
  std::string upper = ApiKeyAuthenticator::HashKey(kKey);
  for (char& ch : upper) ch = static_cast<char>(toupper(ch));
  ApiKeyAuthenticator auth({{"k", "n", upper}});
  EXPECT_TRUE(Check(auth, "Bearer s3cr3t-key-value-42").ok());
}

// --- config validation -----------------------------------------------------

constexpr char kModules[] =
    "modules:\n  - {id: m, subscribe_events: [\"*\"], sink: {type: stdout}}\n";
const std::string kHash(64, 'a');

std::string ConfigError(const std::string& head) {
  auto c = ParseConfig(head + kModules, "t.yaml");
  return c.ok() ? "OK" : std::string(c.status().message());
}

TEST(ApiKeysConfig, ParsesKeysAndTls) {
  auto c = ParseConfig(
      "api_keys:\n"
      "  - {id: k1, name: One, key_sha256: " + kHash + "}\n"
      "  - {id: k2, name: Two, key_sha256: " + std::string(64, 'B') + "}\n"
      "grpc:\n  tls: {cert_file: /c.pem, key_file: /k.pem, client_ca_file: /ca.pem}\n" +
          kModules,
      "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->api_keys.size(), 2u);
  EXPECT_EQ(c->api_keys[0].id, "k1");
  EXPECT_EQ(c->api_keys[0].name, "One");
  EXPECT_EQ(c->api_keys[0].key_sha256, kHash);
  EXPECT_EQ(c->api_keys[1].key_sha256, std::string(64, 'b'));  // lower-cased
  EXPECT_EQ(c->grpc.tls.cert_file, "/c.pem");
  EXPECT_EQ(c->grpc.tls.key_file, "/k.pem");
  EXPECT_EQ(c->grpc.tls.client_ca_file, "/ca.pem");
}

TEST(ApiKeysConfig, NoKeysNoTlsByDefault) {
  auto c = ParseConfig(kModules, "t.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->api_keys.empty());
  EXPECT_TRUE(c->grpc.tls.cert_file.empty());
}

TEST(ApiKeysConfig, ErrorsNameTheFieldAndLine) {
  EXPECT_EQ(ConfigError("api_keys:\n  - {name: One, key_sha256: " + kHash + "}\n"),
            "config t.yaml: api_keys[0].id (line 2): required");
  EXPECT_EQ(ConfigError("api_keys:\n  - {id: k, key_sha256: " + kHash + "}\n"),
            "config t.yaml: api_keys[0].name (line 2): required");
  EXPECT_THAT(ConfigError("api_keys:\n  - {id: k, name: n}\n"),
              HasSubstr("api_keys[0].key_sha256 (line 2): required"));
  EXPECT_THAT(
      ConfigError("api_keys:\n  - {id: k, name: n, key_sha256: my-plain-key}\n"),
      HasSubstr("api_keys[0].key_sha256 (line 2): must be 64 hex characters"));
  EXPECT_THAT(ConfigError("api_keys:\n  - {id: k, name: n, key_sha256: " +
                          std::string(63, 'a') + "}\n"),
              HasSubstr("api_keys[0].key_sha256 (line 2)"));
  EXPECT_THAT(ConfigError("api_keys:\n  - {id: k, name: n, key_sha256: " +
                          std::string(63, 'a') + "g}\n"),
              HasSubstr("api_keys[0].key_sha256 (line 2)"));
  EXPECT_THAT(ConfigError("api_keys:\n"
                          "  - {id: k, name: n, key_sha256: " + kHash + "}\n"
                          "  - {id: k, name: m, key_sha256: " +
                          std::string(64, 'c') + "}\n"),
              HasSubstr("api_keys[1].id (line 3): key id 'k' is used twice"));
  EXPECT_THAT(ConfigError("api_keys:\n  - {id: k, name: n, key_sha256: " + kHash +
                          ", key: x}\n"),
              HasSubstr("api_keys[0].key"));
  EXPECT_THAT(ConfigError("api_keys: {id: k}\n"), HasSubstr("api_keys (line 1)"));
  // The plain key must never be echoed back in the error.
  EXPECT_THAT(ConfigError("api_keys:\n  - {id: k, name: n, key_sha256: my-plain-key}\n"),
              Not(HasSubstr("my-plain-key")));
}

TEST(GrpcTlsConfig, ErrorsNameTheField) {
  EXPECT_THAT(ConfigError("grpc:\n  tls: {key_file: /k.pem}\n"),
              HasSubstr("grpc.tls.cert_file (line 2): required"));
  EXPECT_THAT(ConfigError("grpc:\n  tls: {cert_file: /c.pem}\n"),
              HasSubstr("grpc.tls.key_file (line 2): required"));
  EXPECT_THAT(ConfigError("grpc:\n  tls: {cert_file: /c.pem, key_file: /k, ca: x}\n"),
              HasSubstr("grpc.tls.ca"));
}

// --- real calls through the adapter -----------------------------------------

// Records the Caller of every accepted input.
class CallerRecorder : public Ingest {
 public:
  absl::Status PublishEvents(absl::Span<const EventInput>,
                             const Caller& caller) override {
    Record(caller);
    return absl::OkStatus();
  }
  absl::Status PublishBulk(const BulkInput& bulk, const Caller& caller) override {
    if (bulk.accepted_records) *bulk.accepted_records = bulk.records.size();
    Record(caller);
    return absl::OkStatus();
  }
  absl::optional<int64_t> DeviceHome(int64_t) const override { return 1; }

  std::vector<std::pair<std::string, std::string>> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  void Record(const Caller& c) {
    absl::MutexLock lock(&mu_);
    calls_.emplace_back(std::string(c.key_id), std::string(c.key_name));
  }
  absl::Mutex mu_;
  std::vector<std::pair<std::string, std::string>> calls_ ABSL_GUARDED_BY(mu_);
};

class AdapterAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_sink_ = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("t", log_sink_));
  }
  void TearDown() override {
    if (adapter_) adapter_->Shutdown(absl::Now() + absl::Seconds(5));
    spdlog::set_default_logger(previous_);
  }

  void StartAdapter(std::vector<ApiKeyConfig> keys) {
    auth_ = std::make_unique<ApiKeyAuthenticator>(std::move(keys));
    GrpcConfig config;
    config.listen = "127.0.0.1:0";
    adapter_ = std::make_unique<GrpcAdapter>(config, ingest_, *auth_);
    ASSERT_TRUE(adapter_->Start().ok());
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", adapter_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::Gateway::NewStub(channel_);
  }

  static std::unique_ptr<grpc::ClientContext> Context(const char* auth) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (auth) ctx->AddMetadata("authorization", auth);
    return ctx;
  }

  grpc::StatusCode PublishEvent(const char* auth) {
    v1::Event e;
    e.set_event_type("t");
    e.set_home_id(1);
    v1::PublishResponse r;
    return stub_->PublishEvent(Context(auth).get(), e, &r).error_code();
  }
  grpc::StatusCode PublishBulk(const char* auth) {
    v1::BulkData b;
    b.set_device_id(1);
    b.set_label("l");
    b.add_records("x");
    v1::PublishResponse r;
    return stub_->PublishBulkData(Context(auth).get(), b, &r).error_code();
  }
  // One event over the stream; returns the stream's final status and the
  // per-item code when a response arrived.
  grpc::StatusCode PublishStream(const char* auth, int* item_code) {
    auto ctx = Context(auth);
    auto stream = stub_->Publish(ctx.get());
    v1::PublishRequest req;
    req.set_id(7);
    req.mutable_event()->set_event_type("t");
    req.mutable_event()->set_home_id(1);
    stream->Write(req);
    stream->WritesDone();
    v1::PublishResponse resp;
    *item_code = -1;
    if (stream->Read(&resp)) *item_code = resp.code();
    return stream->Finish().error_code();
  }

  std::ostringstream log_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> log_sink_;
  std::shared_ptr<spdlog::logger> previous_;
  CallerRecorder ingest_;
  std::unique_ptr<ApiKeyAuthenticator> auth_;
  std::unique_ptr<GrpcAdapter> adapter_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Gateway::Stub> stub_;
};

TEST_F(AdapterAuthTest, EveryRpcNeedsAValidKey) {
  StartAdapter(Keys());
  for (const char* bad : {static_cast<const char*>(nullptr), "Bearer nope",
                          "Basic s3cr3t-key-value-42"}) {
    EXPECT_EQ(PublishEvent(bad), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(PublishBulk(bad), grpc::StatusCode::UNAUTHENTICATED);
    int item = 0;
    EXPECT_EQ(PublishStream(bad, &item), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(item, -1);  // rejected before any item was handled
  }
  EXPECT_TRUE(ingest_.calls().empty());

  EXPECT_EQ(PublishEvent("Bearer s3cr3t-key-value-42"), grpc::StatusCode::OK);
  EXPECT_EQ(PublishBulk("Bearer another-key"), grpc::StatusCode::OK);
  int item = -1;
  EXPECT_EQ(PublishStream("Bearer s3cr3t-key-value-42", &item),
            grpc::StatusCode::OK);
  EXPECT_EQ(item, 0);
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(ingest_.calls(), (std::vector<P>{{"k1", "Project One"},
                                             {"k2", "Project Two"},
                                             {"k1", "Project One"}}));
  log_sink_->flush();
  const std::string log = log_.str();
  EXPECT_THAT(log, HasSubstr("rejected: unknown API key"));
  EXPECT_THAT(log, HasSubstr("rejected: missing API key"));
  EXPECT_THAT(log, Not(HasSubstr(kKey)));
  EXPECT_THAT(log, Not(HasSubstr(kOtherKey)));
  EXPECT_THAT(log, Not(HasSubstr("nope")));
}

TEST_F(AdapterAuthTest, WithoutKeysCallsAreAnonymous) {
  StartAdapter({});
  EXPECT_EQ(PublishEvent(nullptr), grpc::StatusCode::OK);
  EXPECT_EQ(PublishBulk("Bearer ignored"), grpc::StatusCode::OK);
  int item = -1;
  EXPECT_EQ(PublishStream(nullptr, &item), grpc::StatusCode::OK);
  EXPECT_EQ(item, 0);
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(ingest_.calls(), (std::vector<P>{{"", ""}, {"", ""}, {"", ""}}));
}

}  // namespace
}  // namespace streamgate
