// Tests of the AWS credential providers and the default chain against
// tests/fakes/aws_fake_server.py (fake STS, IMDSv2 and container endpoint)
// and files in a temp dir. The environment and the clock are injected.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sinks/aws/container_credentials_provider.h"
#include "sinks/aws/credentials_chain.h"
#include "sinks/aws/environment_credentials_provider.h"
#include "sinks/aws/imds_credentials_provider.h"
#include "sinks/aws/profile_credentials_provider.h"
#include "sinks/aws/sts_client.h"
#include "sinks/aws/web_identity_credentials_provider.h"
#include "tests/fakes/aws_fake_server.h"

namespace streamgate::aws::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------------------
// Single providers.

TEST_F(CredentialsTest, EnvironmentProvider) {
  EnvironmentCredentialsProvider provider(env_);
  EXPECT_TRUE(absl::IsNotFound(provider.GetCredentials().status()));

  env_.Set("AWS_SECRET_ACCESS_KEY", "envSecretValue");
  absl::StatusOr<Credentials> partial = provider.GetCredentials();
  EXPECT_TRUE(absl::IsInvalidArgument(partial.status()));
  EXPECT_THAT(std::string(partial.status().message()), Not(HasSubstr("envSecretValue")));

  env_.Set("AWS_ACCESS_KEY_ID", "AKIDENV");
  env_.Set("AWS_SESSION_TOKEN", "envToken");
  absl::StatusOr<Credentials> c = provider.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "AKIDENV");
  EXPECT_EQ(c->secret_access_key, "envSecretValue");
  EXPECT_EQ(c->session_token, "envToken");
  EXPECT_FALSE(c->expiration.has_value());
}

TEST_F(CredentialsTest, ProfileProviderReadsDefaultFilesUnderHome) {
  ProfileCredentialsProvider provider(env_);
  EXPECT_TRUE(absl::IsNotFound(provider.GetCredentials().status()));

  WriteFile(".aws/credentials",
            "# comment\n[default] \naws_access_key_id = AKIDDEFAULT ; trailing\n"
            "aws_secret_access_key=defaultSecret\naws_session_token = defaultToken\n"
            "[other]\naws_access_key_id = AKIDOTHERCREDS\naws_secret_access_key = x\n");
  absl::StatusOr<Credentials> c = provider.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(c->secret_access_key, "defaultSecret");
  EXPECT_EQ(c->session_token, "defaultToken");
}

TEST_F(CredentialsTest, ProfileProviderHonoursProfileAndFileVariables) {
  env_.Set("AWS_SHARED_CREDENTIALS_FILE",
           WriteFile("creds", "[shared]\naws_access_key_id = AKIDSHARED\n"
                              "aws_secret_access_key = sharedSecret\n"));
  env_.Set("AWS_CONFIG_FILE",
           WriteFile("config", "[default]\nregion = eu-west-1\n"
                               "[profile cfg]\nregion = eu-west-1\n"
                               "aws_access_key_id = AKIDCONFIG\n"
                               "aws_secret_access_key = configSecret\n"
                               "s3 =\n  aws_access_key_id = AKIDNESTED\n"
                               "[profile shared]\naws_access_key_id = AKIDLOSES\n"
                               "aws_secret_access_key = losesSecret\n"
                               "[profile assumer]\nrole_arn = arn:aws:iam::1:role/r\n"
                               "source_profile = shared\n"));
  ProfileCredentialsProvider provider(env_);

  env_.Set("AWS_PROFILE", "cfg");
  absl::StatusOr<Credentials> c = provider.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "AKIDCONFIG");
  EXPECT_EQ(c->secret_access_key, "configSecret");

  env_.Set("AWS_PROFILE", "shared");  // the credentials file wins
  c = provider.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "AKIDSHARED");

  env_.Set("AWS_PROFILE", "missing");
  EXPECT_TRUE(absl::IsNotFound(provider.GetCredentials().status()));
  env_.Set("AWS_PROFILE", "assumer");
  EXPECT_EQ(provider.GetCredentials().status().code(), absl::StatusCode::kUnimplemented);
  env_.Unset("AWS_PROFILE");  // [default] in config has no keys
  EXPECT_TRUE(absl::IsNotFound(provider.GetCredentials().status()));
}

TEST_F(CredentialsTest, WebIdentityProviderCallsStsUnsigned) {
  server_->Configure(R"({"web_identity_token": "web-jwt-token"})");
  WebIdentityCredentialsProvider provider(env_, clock_, Sts());
  EXPECT_TRUE(absl::IsNotFound(provider.GetCredentials().status()));

  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", WriteFile("token", "web-jwt-token\n"));
  EXPECT_TRUE(absl::IsInvalidArgument(provider.GetCredentials().status()));

  env_.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web");
  env_.Set("AWS_ROLE_SESSION_NAME", "pod-session");
  absl::StatusOr<Credentials> c = provider.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "ASIAWEB0001");
  EXPECT_EQ(c->secret_access_key, "webSecret0001");
  EXPECT_EQ(c->session_token, "webToken0001");
  ASSERT_TRUE(c->expiration.has_value());
  EXPECT_EQ(*c->expiration, T0() + absl::Hours(1));

  std::vector<rapidjson::Document> calls = server_->Requests("AssumeRoleWithWebIdentity");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(Str(calls[0], "form", "RoleArn"), "arn:aws:iam::123456789012:role/web");
  EXPECT_EQ(Str(calls[0], "form", "RoleSessionName"), "pod-session");
  EXPECT_EQ(Str(calls[0], "form", "WebIdentityToken"), "web-jwt-token");
  EXPECT_EQ(Str(calls[0], "headers", "authorization"), "<absent>");

  // A rejected token surfaces the STS code, never the token.
  WriteFile("token", "a-rejected-token");
  absl::StatusOr<Credentials> rejected = provider.GetCredentials();
  EXPECT_TRUE(absl::IsUnauthenticated(rejected.status())) << rejected.status();
  EXPECT_THAT(std::string(rejected.status().message()), HasSubstr("InvalidIdentityToken"));
  EXPECT_THAT(std::string(rejected.status().message()), Not(HasSubstr("a-rejected-token")));
}

TEST_F(CredentialsTest, ContainerProviderSendsAuthorizationToken) {
  ContainerCredentialsProvider provider(env_, Metadata());
  EXPECT_TRUE(absl::IsNotFound(provider.GetCredentials().status()));

  env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", server_->Url("/container/v2/creds"));
  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token");
  absl::StatusOr<Credentials> c = provider.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "ASIACONT0001");
  EXPECT_EQ(c->session_token, "contToken0001");
  EXPECT_EQ(c->expiration, T0() + absl::Hours(1));

  // The token file wins over the variable; the fake rejects a wrong token.
  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", WriteFile("ctok", "wrong-token\n"));
  absl::StatusOr<Credentials> wrong = provider.GetCredentials();
  EXPECT_FALSE(wrong.ok());
  EXPECT_THAT(std::string(wrong.status().message()), HasSubstr("401"));
  WriteFile("ctok", "container-auth-token\n");
  ASSERT_TRUE(provider.GetCredentials().ok());

  std::vector<rapidjson::Document> calls = server_->Requests();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(Str(calls[0], "headers", "authorization"), "container-auth-token");
  EXPECT_EQ(Str(calls[1], "headers", "authorization"), "wrong-token");
  EXPECT_EQ(Str(calls[2], "headers", "authorization"), "container-auth-token");
}

TEST_F(CredentialsTest, ContainerProviderRefusesPlainHttpToOtherHosts) {
  ContainerCredentialsProvider provider(env_, Metadata());
  env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.10/creds");
  EXPECT_TRUE(absl::IsInvalidArgument(provider.GetCredentials().status()));
  env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", "ftp://127.0.0.1/creds");
  EXPECT_TRUE(absl::IsInvalidArgument(provider.GetCredentials().status()));
}

TEST_F(CredentialsTest, ImdsProviderUsesTokenFlow) {
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", server_->Url("/"));
  ImdsCredentialsProvider provider(env_, Metadata());
  absl::StatusOr<Credentials> c = provider.GetCredentials();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_key_id, "ASIAIMDS0001");
  EXPECT_EQ(c->secret_access_key, "imdsSecret0001");
  EXPECT_EQ(c->session_token, "imdsToken0001");
  EXPECT_EQ(c->expiration, T0() + absl::Hours(1));

  std::vector<rapidjson::Document> calls = server_->Requests();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(std::string(calls[0]["method"].GetString()), "PUT");
  EXPECT_EQ(std::string(calls[0]["path"].GetString()), "/latest/api/token");
  EXPECT_EQ(Str(calls[0], "headers", "x-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(std::string(calls[2]["path"].GetString()),
            "/latest/meta-data/iam/security-credentials/streamgate-instance-role");
  EXPECT_EQ(Str(calls[2], "headers", "x-aws-ec2-metadata-token"), "imds-session-token-1");

  server_->Configure(R"({"imds_role": ""})");
  EXPECT_TRUE(absl::IsNotFound(provider.GetCredentials().status()));
}

TEST_F(CredentialsTest, ImdsProviderCanBeDisabledAndFailsFastWhenUnreachable) {
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", server_->Url());
  env_.Set("AWS_EC2_METADATA_DISABLED", "TRUE");
  ImdsCredentialsProvider provider(env_, Metadata());
  EXPECT_TRUE(absl::IsNotFound(provider.GetCredentials().status()));
  EXPECT_TRUE(server_->Requests().empty());

  env_.Unset("AWS_EC2_METADATA_DISABLED");
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1");  // nothing listens
  absl::StatusOr<Credentials> c = provider.GetCredentials();
  EXPECT_TRUE(absl::IsUnavailable(c.status())) << c.status();
}

// ---------------------------------------------------------------------------
// The chain.

TEST_F(CredentialsTest, ChainFollowsTheDefaultOrder) {
  ConfigureAllProviders();
  struct Step {
    const char* expected_key;
    std::function<void()> then_remove;
  };
  const std::vector<Step> steps = {
      {"AKIDENV", [&] { env_.Unset("AWS_ACCESS_KEY_ID"); env_.Unset("AWS_SECRET_ACCESS_KEY"); }},
      {"AKIDPROFILE", [&] { std::filesystem::remove(dir_ / ".aws/credentials"); }},
      {"ASIAWEB0001", [&] { env_.Unset("AWS_WEB_IDENTITY_TOKEN_FILE"); }},
      {"ASIACONT0001", [&] { env_.Unset("AWS_CONTAINER_CREDENTIALS_FULL_URI"); }},
      {"ASIAIMDS0001", [&] { env_.Set("AWS_EC2_METADATA_DISABLED", "true"); }},
  };
  for (const Step& step : steps) {
    // A fresh chain each time: a chain remembers the provider that answered.
    absl::StatusOr<std::unique_ptr<CredentialsProvider>> chain =
        MakeCredentialsProvider(Options());
    ASSERT_TRUE(chain.ok()) << chain.status();
    absl::StatusOr<Credentials> c = (*chain)->GetCredentials();
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->access_key_id, step.expected_key);
    step.then_remove();
  }
  // Providers after the winner were never asked: one STS call (web
  // identity), one container call, three IMDS calls in all.
  EXPECT_EQ(server_->Requests().size(), 5u);

  absl::StatusOr<std::unique_ptr<CredentialsProvider>> chain =
      MakeCredentialsProvider(Options());
  ASSERT_TRUE(chain.ok());
  absl::StatusOr<Credentials> none = (*chain)->GetCredentials();
  EXPECT_TRUE(absl::IsNotFound(none.status())) << none.status();
  for (const char* name : {"environment", "profile", "web identity", "container",
                           "instance metadata"}) {
    EXPECT_THAT(std::string(none.status().message()), HasSubstr(name));
  }
}

TEST_F(CredentialsTest, ChainErrorsNameEachProviderWithoutSecrets) {
  env_.Set("AWS_SECRET_ACCESS_KEY", "lonelySecretValue");
  WriteFile(".aws/credentials", "[default]\naws_secret_access_key = profileSecretValue\n");
  env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", server_->Url("/container/creds"));
  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrongContainerToken");
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1");
  absl::StatusOr<std::unique_ptr<CredentialsProvider>> chain = MakeCredentialsProvider(Options());
  ASSERT_TRUE(chain.ok());
  absl::StatusOr<Credentials> c = (*chain)->GetCredentials();
  ASSERT_FALSE(c.ok());
  EXPECT_FALSE(absl::IsNotFound(c.status()));  // real failures, not just "unset"
  const std::string message(c.status().message());
  for (const char* secret : {"lonelySecretValue", "profileSecretValue", "wrongContainerToken"}) {
    EXPECT_THAT(message, Not(HasSubstr(secret)));
  }
  EXPECT_THAT(message, HasSubstr("container"));
  EXPECT_THAT(message, HasSubstr("401"));
}

TEST_F(CredentialsTest, ChainReusesWinnerAndCachesMetadataCredentials) {
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", server_->Url());
  absl::StatusOr<std::unique_ptr<CredentialsProvider>> chain = MakeCredentialsProvider(Options());
  ASSERT_TRUE(chain.ok());
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<Credentials> c = (*chain)->GetCredentials();
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->access_key_id, "ASIAIMDS0001");
  }
  EXPECT_EQ(server_->Requests().size(), 3u);  // one token, role, credentials round
  clock_.Advance(absl::Minutes(56));          // within 5 minutes of expiry
  absl::StatusOr<Credentials> c = (*chain)->GetCredentials();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "ASIAIMDS0002");
}

TEST(CredentialsOptionsTest, InvalidOptionsNameTheField) {
  CredentialsOptions options;
  EXPECT_THAT(std::string(MakeCredentialsProvider(options).status().message()),
              HasSubstr("region"));
  options.region = "eu-west-1";
  options.external_id = "x";
  EXPECT_THAT(std::string(MakeCredentialsProvider(options).status().message()),
              HasSubstr("external_id"));
  options.role_arn = "arn:aws:iam::1:role/r";
  options.role_duration = absl::Minutes(5);
  EXPECT_THAT(std::string(MakeCredentialsProvider(options).status().message()),
              HasSubstr("role_duration"));
  options.role_duration = absl::Hours(1);
  options.sts_endpoint = "ftp://example.com";
  EXPECT_THAT(std::string(MakeCredentialsProvider(options).status().message()),
              HasSubstr("sts_endpoint"));
  options.sts_endpoint.clear();
  options.role_session_name = "bad name";
  EXPECT_THAT(std::string(MakeCredentialsProvider(options).status().message()),
              HasSubstr("role_session_name"));
  options.role_session_name.clear();
  EXPECT_TRUE(MakeCredentialsProvider(options).ok());
}

TEST(StsXmlTest, ExtractsAndDecodesElements) {
  EXPECT_EQ(XmlElementText("<a><Code>X&amp;Y&#47;</Code></a>", "Code"), "X&Y/");
  EXPECT_EQ(XmlElementText("<a></a>", "Code"), absl::nullopt);
  EXPECT_EQ(DefaultStsEndpoint("eu-west-1"), "https://sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(DefaultStsEndpoint("cn-north-1"), "https://sts.cn-north-1.amazonaws.com.cn");
}

}  // namespace
}  // namespace streamgate::aws::test
