// Tests of the AWS credential providers, the default chain, caching and STS
// AssumeRole, against tests/fakes/aws_fake_server.py (fake STS, IMDSv2 and
// container endpoint on a free 127.0.0.1 port) and files in a temp dir.
// The environment and the clock are injected; nothing reads the real ones.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "sinks/kinesis/aws/caching_credentials_provider.h"
#include "sinks/kinesis/aws/clock.h"
#include "sinks/kinesis/aws/container_credentials_provider.h"
#include "sinks/kinesis/aws/credentials_chain.h"
#include "sinks/kinesis/aws/environment.h"
#include "sinks/kinesis/aws/environment_credentials_provider.h"
#include "sinks/kinesis/aws/http_client.h"
#include "sinks/kinesis/aws/imds_credentials_provider.h"
#include "sinks/kinesis/aws/profile_credentials_provider.h"
#include "sinks/kinesis/aws/sts_client.h"
#include "sinks/kinesis/aws/web_identity_credentials_provider.h"

extern char** environ;

namespace streamgate::aws {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// ---------------------------------------------------------------------------
// Injected environment and clock.

class FakeEnvironment : public RealEnvironment {
 public:
  void Set(const std::string& name, const std::string& value) {
    absl::MutexLock lock(&mu_);
    vars_[name] = value;
  }
  void Unset(const std::string& name) {
    absl::MutexLock lock(&mu_);
    vars_.erase(name);
  }
  absl::optional<std::string> GetEnv(const std::string& name) const override {
    absl::MutexLock lock(&mu_);
    auto it = vars_.find(name);
    if (it == vars_.end()) return absl::nullopt;
    return it->second;
  }
  absl::optional<std::string> HomeDir() const override { return GetEnv("HOME"); }

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> vars_ ABSL_GUARDED_BY(mu_);
};

class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time now) : now_(now) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

absl::Time T0() { return absl::FromUnixSeconds(1893456000); }  // 2030-01-01T00:00:00Z

std::string Iso(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// ---------------------------------------------------------------------------
// The fake server process.

class FakeAwsServer {
 public:
  ~FakeAwsServer() { Stop(); }

  void Start() {
    int in_pipe[2], out_pipe[2];
    ASSERT_EQ(pipe2(in_pipe, O_CLOEXEC), 0);
    ASSERT_EQ(pipe2(out_pipe, O_CLOEXEC), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    std::string python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    std::string script = STREAMGATE_SOURCE_DIR "/tests/fakes/aws_fake_server.py";
    std::vector<char*> argv = {python.data(), script.data(), nullptr};
    ASSERT_EQ(posix_spawnp(&pid_, python.c_str(), &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(in_pipe[0]);
    close(out_pipe[1]);
    stdin_fd_ = in_pipe[1];  // closing it makes the server exit
    std::string line;
    pollfd pfd{out_pipe[0], POLLIN, 0};
    while (line.find('\n') == std::string::npos && poll(&pfd, 1, 20000) > 0) {
      char buf[64];
      ssize_t n = read(out_pipe[0], buf, sizeof(buf));
      if (n <= 0) break;
      line.append(buf, n);
    }
    close(out_pipe[0]);
    port_ = std::atoi(line.c_str());
    ASSERT_GT(port_, 0) << "fake server did not print its port";
  }

  void Stop() {
    if (stdin_fd_ >= 0) close(stdin_fd_);
    stdin_fd_ = -1;
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  std::string Url(const std::string& path = "") const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }

  void Post(const std::string& path, const std::string& body) const {
    absl::StatusOr<HttpResponse> r = client_.Send("POST", Url(path), {}, body);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->status, 200);
  }
  void Reset() const { Post("/_reset", ""); }
  void Configure(const std::string& json) const { Post("/_config", json); }

  // The recorded requests, optionally only those whose path starts with
  // `prefix` or, for STS, whose form Action is `action`.
  std::vector<rapidjson::Document> Requests(const std::string& action = "") const {
    absl::StatusOr<HttpResponse> r = client_.Send("GET", Url("/_requests"), {}, "");
    std::vector<rapidjson::Document> out;
    if (!r.ok()) {
      ADD_FAILURE() << r.status();
      return out;
    }
    rapidjson::Document all;
    all.Parse(r->body.c_str());
    for (auto& entry : all.GetArray()) {
      if (!action.empty()) {
        if (!entry.HasMember("form") || !entry["form"].HasMember("Action") ||
            action != entry["form"]["Action"].GetString()) {
          continue;
        }
      }
      rapidjson::Document doc;
      doc.CopyFrom(entry, doc.GetAllocator());
      out.push_back(std::move(doc));
    }
    return out;
  }

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int port_ = 0;
  HttpClient client_{HttpOptions{}};
};

std::string Str(const rapidjson::Value& object, const char* a, const char* b) {
  if (!object.HasMember(a) || !object[a].HasMember(b)) return "<absent>";
  return object[a][b].GetString();
}

class CredentialsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new FakeAwsServer();
    server_->Start();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    server_->Reset();
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("sg-creds-", getpid(), "-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / ".aws");
    env_.Set("HOME", dir_.string());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteFile(const std::string& name, const std::string& contents) {
    std::filesystem::path path = dir_ / name;
    std::ofstream(path) << contents;
    return path.string();
  }

  // Options for MakeCredentialsProvider with every endpoint on the fake.
  CredentialsOptions Options() {
    CredentialsOptions options;
    options.region = "us-east-1";
    options.sts_endpoint = server_->Url("/");
    options.env = &env_;
    options.clock = &clock_;
    return options;
  }
  StsOptions Sts() {
    StsOptions sts;
    sts.region = "us-east-1";
    sts.endpoint = server_->Url("/");
    return sts;
  }
  HttpOptions Metadata() {
    HttpOptions http;
    http.connect_timeout = absl::Seconds(2);
    http.request_timeout = absl::Seconds(5);
    http.use_proxy = false;
    return http;
  }
  // Points every non-file provider of the chain at the fake.
  void ConfigureAllProviders() {
    env_.Set("AWS_ACCESS_KEY_ID", "AKIDENV");
    env_.Set("AWS_SECRET_ACCESS_KEY", "envSecretValue");
    WriteFile(".aws/credentials", "[default]\naws_access_key_id = AKIDPROFILE\n"
                                  "aws_secret_access_key = profileSecretValue\n");
    env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", WriteFile("web-token", "web-jwt-token\n"));
    env_.Set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web");
    env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", server_->Url("/container/creds"));
    env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-auth-token");
    env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", server_->Url());
  }

  static FakeAwsServer* server_;
  FakeEnvironment env_;
  FakeClock clock_{T0()};
  std::filesystem::path dir_;
};

FakeAwsServer* CredentialsTest::server_ = nullptr;

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
}  // namespace streamgate::aws
