// Test harness for the AWS credential tests: a FakeEnvironment and a
// FakeClock to inject, a FakeAwsServer that runs tests/fakes/aws_fake_server.py
// on a free 127.0.0.1 port (stopped with the fixture), and the
// CredentialsTest fixture that starts it once per suite, resets it before
// each test and gives each test a temp HOME.
//
// Threading: FakeEnvironment and FakeClock are thread-safe; the server
// handle and fixture are used from the test thread only.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "sinks/aws/clock.h"
#include "sinks/aws/credentials_chain.h"
#include "sinks/aws/environment.h"
#include "sinks/aws/http_client.h"
#include "sinks/aws/sts_client.h"

extern char** environ;

namespace streamgate::aws::test {

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

inline absl::Time T0() { return absl::FromUnixSeconds(1893456000); }  // 2030-01-01T00:00:00Z

inline std::string Iso(absl::Time t) {
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
    absl::StatusOr<HttpResponse> r = client_.Fetch("POST", Url(path), {}, body);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_EQ(r->status, 200);
  }
  void Reset() const { Post("/_reset", ""); }
  void Configure(const std::string& json) const { Post("/_config", json); }

  // The recorded requests, optionally only those whose path starts with
  // `prefix` or, for STS, whose form Action is `action`.
  std::vector<rapidjson::Document> Requests(const std::string& action = "") const {
    absl::StatusOr<HttpResponse> r = client_.Fetch("GET", Url("/_requests"), {}, "");
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

inline std::string Str(const rapidjson::Value& object, const char* a, const char* b) {
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

  inline static FakeAwsServer* server_ = nullptr;
  FakeEnvironment env_;
  FakeClock clock_{T0()};
  std::filesystem::path dir_;
};


}  // namespace streamgate::aws::test
