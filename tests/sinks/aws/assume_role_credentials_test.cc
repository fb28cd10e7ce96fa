// Tests of STS AssumeRole on top of the default chain: request contents,
// SigV4 signature (verified independently by the fake), caching and
// refresh before Expiration, error mapping without secrets.
#include <atomic>
#include <thread>

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sinks/aws/credentials_chain.h"
#include "tests/fakes/aws_fake_server.h"

namespace streamgate::aws::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------------------
// AssumeRole.

class AssumeRoleTest : public CredentialsTest {
 protected:
  void SetUp() override {
    CredentialsTest::SetUp();
    env_.Set("AWS_ACCESS_KEY_ID", "AKIDBASEKEY");
    env_.Set("AWS_SECRET_ACCESS_KEY", "baseSecretValue");
    env_.Set("AWS_SESSION_TOKEN", "baseSessionTokenValue");
    // The fake verifies SigV4 signatures made with these keys.
    server_->Configure(R"({"secret_keys": {"AKIDBASEKEY": "baseSecretValue",
                                           "ASIAWEB0001": "webSecret0001"}})");
  }
  CredentialsOptions RoleOptions() {
    CredentialsOptions options = Options();
    options.role_arn = "arn:aws:iam::123456789012:role/kinesis-writer";
    options.external_id = "ext-id-42";
    options.role_session_name = "streamgate-test";
    return options;
  }
};

TEST_F(AssumeRoleTest, SignedRequestCarriesRoleSessionAndExternalId) {
  absl::StatusOr<std::unique_ptr<CredentialsProvider>> provider =
      MakeCredentialsProvider(RoleOptions());
  ASSERT_TRUE(provider.ok()) << provider.status();
  absl::StatusOr<Credentials> c = (*provider)->GetCredentials();
  ASSERT_TRUE(c.ok()) << c.status();
  // The assumed credentials, not the base ones.
  EXPECT_EQ(c->access_key_id, "ASIAROLE0001");
  EXPECT_EQ(c->secret_access_key, "roleSecret0001");
  EXPECT_EQ(c->session_token, "roleToken0001");
  EXPECT_EQ(c->expiration, T0() + absl::Hours(1));

  std::vector<rapidjson::Document> calls = server_->Requests("AssumeRole");
  ASSERT_EQ(calls.size(), 1u);
  const rapidjson::Document& call = calls[0];
  EXPECT_EQ(Str(call, "form", "Version"), "2011-06-15");
  EXPECT_EQ(Str(call, "form", "RoleArn"), "arn:aws:iam::123456789012:role/kinesis-writer");
  EXPECT_EQ(Str(call, "form", "RoleSessionName"), "streamgate-test");
  EXPECT_EQ(Str(call, "form", "ExternalId"), "ext-id-42");
  EXPECT_EQ(Str(call, "form", "DurationSeconds"), "3600");
  const std::string authorization = Str(call, "headers", "authorization");
  EXPECT_THAT(authorization,
              HasSubstr("AWS4-HMAC-SHA256 Credential=AKIDBASEKEY/20300101/us-east-1/sts/aws4_request"));
  EXPECT_THAT(authorization, HasSubstr("SignedHeaders="));
  EXPECT_THAT(authorization, HasSubstr("host"));
  EXPECT_THAT(authorization, Not(HasSubstr("baseSecretValue")));
  EXPECT_EQ(Str(call, "headers", "x-amz-date"), "20300101T000000Z");
  EXPECT_EQ(Str(call, "headers", "x-amz-security-token"), "baseSessionTokenValue");
}

TEST_F(AssumeRoleTest, WrongBaseSecretIsRejectedBySignatureCheck) {
  env_.Set("AWS_SECRET_ACCESS_KEY", "notTheRightSecret");
  absl::StatusOr<std::unique_ptr<CredentialsProvider>> provider =
      MakeCredentialsProvider(RoleOptions());
  ASSERT_TRUE(provider.ok());
  absl::StatusOr<Credentials> c = (*provider)->GetCredentials();
  EXPECT_TRUE(absl::IsUnauthenticated(c.status())) << c.status();
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("SignatureDoesNotMatch"));
  EXPECT_THAT(std::string(c.status().message()), Not(HasSubstr("notTheRightSecret")));
}

TEST_F(AssumeRoleTest, ExternalIdIsOmittedWhenNotGiven) {
  CredentialsOptions options = RoleOptions();
  options.external_id.clear();
  options.role_session_name.clear();
  options.role_duration = absl::Minutes(15);
  absl::StatusOr<std::unique_ptr<CredentialsProvider>> provider = MakeCredentialsProvider(options);
  ASSERT_TRUE(provider.ok());
  ASSERT_TRUE((*provider)->GetCredentials().ok());
  std::vector<rapidjson::Document> calls = server_->Requests("AssumeRole");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(Str(calls[0], "form", "ExternalId"), "<absent>");
  EXPECT_EQ(Str(calls[0], "form", "DurationSeconds"), "900");
  EXPECT_EQ(Str(calls[0], "form", "RoleSessionName"), "streamgate-1893456000");
}

TEST_F(AssumeRoleTest, CachedUntilRefreshPointThenRefreshed) {
  absl::StatusOr<std::unique_ptr<CredentialsProvider>> provider =
      MakeCredentialsProvider(RoleOptions());
  ASSERT_TRUE(provider.ok());
  ASSERT_EQ((*provider)->GetCredentials()->access_key_id, "ASIAROLE0001");

  clock_.Advance(absl::Minutes(54));  // 6 minutes left: cached
  EXPECT_EQ((*provider)->GetCredentials()->access_key_id, "ASIAROLE0001");
  EXPECT_EQ(server_->Requests("AssumeRole").size(), 1u);

  server_->Configure(absl::StrCat(R"({"expiration": ")", Iso(T0() + absl::Minutes(70)), R"("})"));
  clock_.Advance(absl::Minutes(1) + absl::Seconds(1));  // under 5 minutes left
  absl::StatusOr<Credentials> c = (*provider)->GetCredentials();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "ASIAROLE0002");
  EXPECT_EQ(server_->Requests("AssumeRole").size(), 2u);

  // 15-minute lifetime (now T0+55:01 .. T0+70): refresh with a quarter left.
  clock_.Advance(absl::Minutes(11));  // 3:59 left of 14:59: cached
  EXPECT_EQ((*provider)->GetCredentials()->access_key_id, "ASIAROLE0002");
  clock_.Advance(absl::Seconds(15));  // 3:44 left: refreshed
  EXPECT_EQ((*provider)->GetCredentials()->access_key_id, "ASIAROLE0003");
  EXPECT_EQ(server_->Requests("AssumeRole").size(), 3u);
}

TEST_F(AssumeRoleTest, ConcurrentCallersShareOneStsCall) {
  absl::StatusOr<std::unique_ptr<CredentialsProvider>> provider =
      MakeCredentialsProvider(RoleOptions());
  ASSERT_TRUE(provider.ok());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      absl::StatusOr<Credentials> c = (*provider)->GetCredentials();
      if (c.ok() && c->access_key_id == "ASIAROLE0001") ++ok;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(server_->Requests("AssumeRole").size(), 1u);
}

TEST_F(AssumeRoleTest, StsErrorsBecomeStatusWithoutSecrets) {
  server_->Configure(R"({"sts_error": {"status": 403, "code": "AccessDenied",
      "message": "not authorized, echo {security_token}"}})");
  absl::StatusOr<std::unique_ptr<CredentialsProvider>> provider =
      MakeCredentialsProvider(RoleOptions());
  ASSERT_TRUE(provider.ok());
  absl::StatusOr<Credentials> c = (*provider)->GetCredentials();
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(c.status())) << c.status();
  const std::string message(c.status().message());
  EXPECT_THAT(message, HasSubstr("AccessDenied"));
  EXPECT_THAT(message, HasSubstr("arn:aws:iam::123456789012:role/kinesis-writer"));
  EXPECT_THAT(message, Not(HasSubstr("baseSessionTokenValue")));
  EXPECT_THAT(message, Not(HasSubstr("baseSecretValue")));

  server_->Configure(R"({"sts_error": {"status": 400, "code": "Throttling", "message": "slow down"}})");
  clock_.Advance(absl::Seconds(10));  // past the failure back-off
  EXPECT_TRUE(absl::IsUnavailable((*provider)->GetCredentials().status()));
  EXPECT_EQ(server_->Requests("AssumeRole").size(), 2u);
}

TEST_F(AssumeRoleTest, FailedRefreshKeepsValidCredentialsAndBacksOff) {
  absl::StatusOr<std::unique_ptr<CredentialsProvider>> provider =
      MakeCredentialsProvider(RoleOptions());
  ASSERT_TRUE(provider.ok());
  ASSERT_EQ((*provider)->GetCredentials()->access_key_id, "ASIAROLE0001");
  server_->Configure(R"({"sts_error": {"status": 503, "code": "ServiceUnavailable", "message": "x"}})");
  clock_.Advance(absl::Minutes(56));
  EXPECT_EQ((*provider)->GetCredentials()->access_key_id, "ASIAROLE0001");
  EXPECT_EQ((*provider)->GetCredentials()->access_key_id, "ASIAROLE0001");
  EXPECT_EQ(server_->Requests("AssumeRole").size(), 2u);  // second call backed off

  clock_.Advance(absl::Minutes(5));  // expired, STS still failing
  EXPECT_TRUE(absl::IsUnavailable((*provider)->GetCredentials().status()));
  server_->Configure(R"({"sts_error": null, "expiration": "2030-01-01T02:00:00Z"})");
  clock_.Advance(absl::Seconds(6));
  EXPECT_EQ((*provider)->GetCredentials()->access_key_id, "ASIAROLE0002");
}

TEST_F(AssumeRoleTest, BaseCredentialsFromWebIdentity) {
  env_.Unset("AWS_ACCESS_KEY_ID");
  env_.Unset("AWS_SECRET_ACCESS_KEY");
  env_.Unset("AWS_SESSION_TOKEN");
  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", WriteFile("web-token", "jwt"));
  env_.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web");
  absl::StatusOr<std::unique_ptr<CredentialsProvider>> provider =
      MakeCredentialsProvider(RoleOptions());
  ASSERT_TRUE(provider.ok());
  absl::StatusOr<Credentials> c = (*provider)->GetCredentials();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "ASIAROLE0001");
  std::vector<rapidjson::Document> calls = server_->Requests("AssumeRole");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_THAT(Str(calls[0], "headers", "authorization"), HasSubstr("Credential=ASIAWEB0001/"));
  EXPECT_EQ(Str(calls[0], "headers", "x-amz-security-token"), "webToken0001");
}

}  // namespace
}  // namespace streamgate::aws::test
