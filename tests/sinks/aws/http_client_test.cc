// HttpClient (sinks/aws/http_client.h) against a local Node server:
// several requests really in flight, connection reuse, timeouts and refused
// connections classified (and whether the request was sent), the answer
// bound, TLS verified by default, and the blocking Fetch with its Status
// mapping.
#include "sinks/aws/http_client.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/sinks/port_process.h"

namespace streamgate::aws {
namespace {

using ::streamgate::testing::PortProcess;
using ::testing::HasSubstr;

std::string ServerScript() {
  return std::string(STREAMGATE_SOURCE_DIR) + "/tests/sinks/aws/http_test_server.js";
}

HttpRequest Req(std::string method, std::string path, std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.headers = {{"Host", "127.0.0.1"}, {"X-Test", "yes"}};
  r.body = std::move(body);
  return r;
}

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = PortProcess::Start({"node", ServerScript()});
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  std::unique_ptr<PortProcess> server_;
};

TEST_F(HttpClientTest, PostsBodyAndHeaders) {
  HttpClient client(HttpOptions{});
  HttpResponse r = client.SendSync(server_->url(), Req("POST", "/echo", "{\"a\":1}"));
  ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"method\":\"POST\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"body\":\"{\\\"a\\\":1}\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"x-test\":\"yes\""), std::string::npos);
  EXPECT_EQ(r.body.find("\"expect\""), std::string::npos);  // no 100-continue
  r = client.SendSync(server_->url(), Req("GET", "/status/503"));
  EXPECT_EQ(r.error, TransportError::kNone);
  EXPECT_EQ(r.status, 503);
}

TEST_F(HttpClientTest, RunsMaxInFlightRequestsAtOnceOnReusedConnections) {
  HttpOptions options;
  options.max_in_flight = 4;
  options.request_timeout = absl::Seconds(20);
  HttpClient client(options);
  for (int round = 0; round < 3; ++round) {
    // The server answers only once 4 requests wait together.
    absl::BlockingCounter done(4);
    std::vector<HttpResponse> responses(4);
    for (int i = 0; i < 4; ++i) {
      client.Send(server_->url(), Req("POST", "/hold/4", "x"),
                   [&, i](HttpResponse r) {
                     responses[i] = std::move(r);
                     done.DecrementCount();
                   });
    }
    done.Wait();
    for (const auto& r : responses) {
      EXPECT_EQ(r.error, TransportError::kNone) << r.error_message;
      EXPECT_EQ(r.status, 200);
    }
  }
  HttpResponse count = client.SendSync(server_->url(), Req("GET", "/connections"));
  int connections = 0;
  ASSERT_TRUE(absl::SimpleAtoi(count.body, &connections)) << count.body;
  EXPECT_EQ(connections, 4);  // 13 requests, 4 connections
}

TEST_F(HttpClientTest, TimeoutAfterSendingIsReportedAsSent) {
  HttpOptions options;
  options.request_timeout = absl::Milliseconds(300);
  HttpClient client(options);
  HttpResponse r = client.SendSync(server_->url(), Req("POST", "/hang", "payload"));
  EXPECT_EQ(r.error, TransportError::kTimeout);
  EXPECT_TRUE(r.request_sent);
}

TEST_F(HttpClientTest, AnswerOverTheBoundIsCutOffAndReportedAsSent) {
  HttpOptions options;
  options.max_response_bytes = 65536;
  HttpClient client(options);
  // /echo answers with the request body inside: ~100 KB.
  HttpResponse r = client.SendSync(server_->url(),
                                    Req("POST", "/echo", std::string(100000, 'b')));
  EXPECT_EQ(r.error, TransportError::kOther);
  EXPECT_TRUE(r.answer_too_long);
  EXPECT_EQ(r.error_message, "answer longer than 65536 bytes");
  EXPECT_TRUE(r.request_sent);
  EXPECT_TRUE(r.body.empty());
  // The client goes on working; an answer under the bound arrives whole.
  r = client.SendSync(server_->url(), Req("POST", "/echo", std::string(30000, 'c')));
  ASSERT_EQ(r.error, TransportError::kNone) << r.error_message;
  EXPECT_GT(r.body.size(), 30000u);
}

TEST_F(HttpClientTest, FetchTakesAWholeUrlAndAnswersAnyStatus) {
  HttpClient client(HttpOptions{});
  absl::StatusOr<HttpResponse> r =
      client.Fetch("PUT", server_->url() + "/echo/q?token=secret", {{"X-Test", "yes"}}, "");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("\"method\":\"PUT\""));
  EXPECT_THAT(r->body, HasSubstr("\"content-length\":\"0\""));  // IMDS needs it
  EXPECT_THAT(r->body, HasSubstr("\"x-test\":\"yes\""));
  r = client.Fetch("GET", server_->url() + "/status/404", {}, "");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 404);
}

TEST_F(HttpClientTest, FetchMapsTransportFailuresToStatusWithoutTheQuery) {
  HttpOptions options;
  options.request_timeout = absl::Milliseconds(300);
  options.max_response_bytes = 1 << 16;
  HttpClient client(options);
  auto refused = client.Fetch("GET", "http://127.0.0.1:1/x?token=secret", {}, "");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(refused.status().message(), HasSubstr("GET http://127.0.0.1:1/x failed: "));
  EXPECT_THAT(refused.status().message(), ::testing::Not(HasSubstr("secret")));
  auto hung = client.Fetch("POST", server_->url() + "/hang", {}, "x");
  EXPECT_EQ(hung.status().code(), absl::StatusCode::kDeadlineExceeded);
  auto big = client.Fetch("POST", server_->url() + "/echo", {}, std::string(100000, 'b'));
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(big.status().message(), HasSubstr(": response over 65536 bytes"));
  auto bad = client.Fetch("GET", "ftp://127.0.0.1/x", {}, "");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(HttpClientTest, RefusedConnectionIsNotSent) {
  // Port 1 on loopback: nothing listens there (tcpmux is never run).
  HttpClient client(HttpOptions{});
  HttpResponse r = client.SendSync("http://127.0.0.1:1", Req("POST", "/echo", "x"));
  EXPECT_EQ(r.error, TransportError::kConnectFailed) << r.error_message;
  EXPECT_FALSE(r.request_sent);
}

TEST_F(HttpClientTest, ShutdownAbortsRunningRequests) {
  HttpClient client(HttpOptions{});
  absl::BlockingCounter done(1);
  HttpResponse got;
  client.Send(server_->url(), Req("POST", "/hang", "x"), [&](HttpResponse r) {
    got = std::move(r);
    done.DecrementCount();
  });
  // Queued or running, the hanging request must come back aborted.
  client.SendSync(server_->url(), Req("GET", "/status/200"));
  client.Shutdown();
  done.Wait();
  EXPECT_EQ(got.error, TransportError::kAborted);
  HttpResponse after = client.SendSync(server_->url(), Req("GET", "/status/200"));
  EXPECT_EQ(after.error, TransportError::kAborted);
}

class HttpsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/kinesis-https-test";
    std::string cmd = absl::StrCat(
        "mkdir -p ", dir_, " && openssl req -x509 -newkey rsa:2048 -nodes -keyout ", dir_,
        "/key.pem -out ", dir_, "/cert.pem -days 1 -subj /CN=127.0.0.1 ",
        "-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1");
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    auto s = PortProcess::Start(
        {"node", ServerScript(), dir_ + "/cert.pem", dir_ + "/key.pem"});
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    url_ = absl::StrCat("https://127.0.0.1:", server_->port());
  }
  std::string dir_;
  std::string url_;
  std::unique_ptr<PortProcess> server_;
};

TEST_F(HttpsClientTest, VerifiesCertificatesByDefault) {
  HttpClient strict(HttpOptions{});
  HttpResponse r = strict.SendSync(url_, Req("POST", "/echo", "x"));
  EXPECT_NE(r.error, TransportError::kNone);  // self-signed: refused
  EXPECT_FALSE(r.request_sent);

  HttpOptions with_ca;
  with_ca.ca_file = dir_ + "/cert.pem";
  HttpClient trusted(with_ca);
  r = trusted.SendSync(url_, Req("POST", "/echo", "x"));
  EXPECT_EQ(r.error, TransportError::kNone) << r.error_message;
  EXPECT_EQ(r.status, 200);

  HttpOptions insecure;
  insecure.verify_tls = false;
  HttpClient lax(insecure);
  r = lax.SendSync(url_, Req("POST", "/echo", "x"));
  EXPECT_EQ(r.error, TransportError::kNone) << r.error_message;
}

}  // namespace
}  // namespace streamgate::aws
