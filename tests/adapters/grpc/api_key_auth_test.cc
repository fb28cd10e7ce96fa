// ApiKeyAuthenticator: the header rules, hashing, and real gRPC calls (unary
// and stream, Gateway and Admin) against a GrpcAdapter that must reject
// without a valid key and pass the key's id and name, and nothing else, to
// Ingest. Also checks the key never reaches the log. The api_keys config
// checks are in grpc_config_test.cc.
#include "adapters/grpc/api_key_auth.h"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "adapters/grpc/grpc_adapter.h"
#include "gateway/common/logging.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ostream_sink.h"
#include "streamgate/v1/admin.grpc.pb.h"
#include "streamgate/v1/gateway.grpc.pb.h"
#include "tests/fakes/fake_gateway_status.h"

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

// --- real calls through the adapter -----------------------------------------

// Records the Caller of every accepted input.
class CallerRecorder : public Ingest {
 public:
  IngestResult PublishEvents(absl::Span<const EventInput> events,
                             const Caller& caller) override {
    Record(caller);
    IngestResult r;
    r.accepted = events.size();
    return r;
  }
  IngestResult PublishBulk(const BulkInput& bulk, const Caller& caller) override {
    Record(caller);
    IngestResult r;
    r.accepted = bulk.records.size();
    return r;
  }

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
    GrpcAdapterConfig config;
    config.grpc.listen = "127.0.0.1:0";
    config.api_keys = std::move(keys);
    adapter_ = std::make_unique<GrpcAdapter>(
        std::move(config),
        AdapterContext{ingest_, NoDoorRejects::Instance(), status_});
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
  testing::FakeGatewayStatus status_;
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
  // The Admin service on the same port checks the same keys.
  auto admin = v1::Admin::NewStub(channel_);
  v1::ListModulesResponse modules;
  EXPECT_EQ(
      admin->ListModules(Context(nullptr).get(), {}, &modules).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      admin->ListModules(Context("Bearer another-key").get(), {}, &modules)
          .error_code(),
      grpc::StatusCode::OK);

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
