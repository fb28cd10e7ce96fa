// SigV4 signer against the official AWS SigV4 test suite (every case folder
// found at run time) and against botocore signing a Kinesis PutRecords
// request with a frozen clock.
#include "sinks/aws/sigv4.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace streamgate::aws {
namespace {

namespace fs = std::filesystem;

const char kSuiteDir[] = STREAMGATE_TESTDATA_DIR "/aws-sigv4-suite/v4";
constexpr size_t kMinSuiteCases = 30;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> ListSuiteCases() {
  std::vector<std::string> cases;
  std::error_code ec;
  if (!fs::is_directory(kSuiteDir, ec)) return cases;
  for (const auto& entry : fs::directory_iterator(kSuiteDir, ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "request.txt")) {
      cases.push_back(entry.path().filename().string());
    }
  }
  std::sort(cases.begin(), cases.end());
  return cases;
}

// The suite's request.txt: "METHOD URI HTTP/1.1" (the URI may contain
// spaces), "Name:value" lines with obsolete line folding (continuation lines
// start with whitespace and stay part of the value, '\n' included), a blank
// line, then the body.
struct ParsedRequest {
  HttpRequest request;
  std::string version;
};

ParsedRequest ParseSuiteRequest(const std::string& text) {
  ParsedRequest parsed;
  size_t head_end = text.find("\n\n");
  std::string head = text.substr(0, head_end);
  if (head_end != std::string::npos)
    parsed.request.body = text.substr(head_end + 2);
  if (!head.empty() && head.back() == '\n') head.pop_back();

  std::vector<std::string> lines = absl::StrSplit(head, '\n');
  const std::string& request_line = lines.at(0);
  size_t first_space = request_line.find(' ');
  size_t last_space = request_line.rfind(' ');
  parsed.request.method = request_line.substr(0, first_space);
  parsed.version = request_line.substr(last_space + 1);
  std::string uri =
      request_line.substr(first_space + 1, last_space - first_space - 1);
  size_t question = uri.find('?');
  parsed.request.path = uri.substr(0, question);
  if (question != std::string::npos)
    parsed.request.query = uri.substr(question + 1);

  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      parsed.request.headers.back().second += "\n" + line;
      continue;
    }
    size_t colon = line.find(':');
    parsed.request.headers.emplace_back(line.substr(0, colon),
                                        line.substr(colon + 1));
  }
  return parsed;
}

std::string RenderSignedRequest(const ParsedRequest& parsed,
                                const SignedParts& parts) {
  const HttpRequest& r = parsed.request;
  std::string out =
      absl::StrCat(r.method, " ", r.path, r.query.empty() ? "" : "?", r.query,
                   " ", parsed.version, "\n");
  for (const auto& [name, value] : r.headers)
    absl::StrAppend(&out, name, ":", value, "\n");
  for (const auto& [name, value] : parts.headers_to_add) {
    absl::StrAppend(&out, name, ":", value, "\n");
  }
  absl::StrAppend(&out, "\n", r.body);
  return out;
}

TEST(SigV4SuiteTest, SuiteIsPresentAndComplete) {
  ASSERT_TRUE(fs::is_directory(kSuiteDir))
      << "missing test suite " << kSuiteDir;
  EXPECT_GE(ListSuiteCases().size(), kMinSuiteCases) << "in " << kSuiteDir;
}

class SigV4SuiteCaseTest : public ::testing::TestWithParam<std::string> {};

// Each case carries header-* files (signature in the Authorization header,
// what SignRequest does) and query-* files (presigned URL with
// X-Amz-Expires, which the project does not need and SignRequest does not
// implement; those files are deliberately not checked).
TEST_P(SigV4SuiteCaseTest, HeaderSigningMatches) {
  const fs::path dir = fs::path(kSuiteDir) / GetParam();
  if (!fs::exists(dir / "header-canonical-request.txt")) {
    GTEST_SKIP() << GetParam()
                 << " has no header-* files: it is a query-signing (presigned "
                    "URL) case, which SignRequest does not implement";
  }

  rapidjson::Document context;
  const std::string context_text = ReadFile(dir / "context.json");
  ASSERT_FALSE(context.Parse(context_text.c_str()).HasParseError());
  // Every key must be understood, so a new kind of case (another key
  // derivation, say) fails here instead of passing for the wrong reason.
  // expiration_in_seconds only concerns query signing.
  const std::set<std::string> known = {"credentials", "expiration_in_seconds",
                                       "normalize",   "region",
                                       "service",     "sign_body",
                                       "timestamp",   "omit_session_token"};
  for (const auto& member : context.GetObject()) {
    EXPECT_TRUE(known.count(member.name.GetString()))
        << "unhandled context key " << member.name.GetString();
  }

  Credentials credentials;
  const auto& c = context["credentials"];
  credentials.access_key_id = c["access_key_id"].GetString();
  credentials.secret_access_key = c["secret_access_key"].GetString();
  if (c.HasMember("token")) credentials.session_token = c["token"].GetString();

  SigningParams params;
  params.region = context["region"].GetString();
  params.service = context["service"].GetString();
  std::string err;
  ASSERT_TRUE(absl::ParseTime(
      absl::RFC3339_full, context["timestamp"].GetString(), &params.time, &err))
      << err;
  params.normalize_path = context["normalize"].GetBool();
  params.add_content_sha256_header = context["sign_body"].GetBool();
  if (context.HasMember("omit_session_token")) {
    params.omit_session_token = context["omit_session_token"].GetBool();
  }

  const std::string request_text = ReadFile(dir / "request.txt");
  ParsedRequest parsed = ParseSuiteRequest(request_text);
  absl::StatusOr<SignedParts> parts =
      SignRequest(credentials, parsed.request, params);
  ASSERT_TRUE(parts.ok()) << parts.status();

  EXPECT_EQ(parts->canonical_request,
            ReadFile(dir / "header-canonical-request.txt"));
  EXPECT_EQ(parts->string_to_sign, ReadFile(dir / "header-string-to-sign.txt"));
  EXPECT_EQ(parts->signature, ReadFile(dir / "header-signature.txt"));
  EXPECT_EQ(RenderSignedRequest(parsed, *parts),
            ReadFile(dir / "header-signed-request.txt"));
}

INSTANTIATE_TEST_SUITE_P(AwsSuite, SigV4SuiteCaseTest,
                         ::testing::ValuesIn(ListSuiteCases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });
// An absent suite is reported by SuiteIsPresentAndComplete.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SigV4SuiteCaseTest);

TEST(SigV4Test, HexSha256OfEmptyInput) {
  EXPECT_EQ(HexSha256(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

HttpRequest MinimalRequest() {
  HttpRequest request;
  request.method = "GET";
  request.path = "/";
  request.headers = {{"Host", "example.amazonaws.com"}};
  return request;
}

SigningParams SuiteParams() {
  SigningParams params;
  params.region = "us-east-1";
  params.service = "service";
  params.time = absl::FromUnixSeconds(1440938160);  // 2015-08-30T12:36:00Z
  return params;
}

TEST(SigV4Test, RejectsMalformedInput) {
  Credentials credentials{"AKIDEXAMPLE", "secret", "", absl::nullopt};
  HttpRequest no_host = MinimalRequest();
  no_host.headers.clear();
  EXPECT_FALSE(SignRequest(credentials, no_host, SuiteParams()).ok());

  HttpRequest already_signed = MinimalRequest();
  already_signed.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 x");
  EXPECT_FALSE(SignRequest(credentials, already_signed, SuiteParams()).ok());

  HttpRequest bad_name = MinimalRequest();
  bad_name.headers.emplace_back("", "value");
  EXPECT_FALSE(SignRequest(credentials, bad_name, SuiteParams()).ok());

  EXPECT_FALSE(
      SignRequest(Credentials{}, MinimalRequest(), SuiteParams()).ok());
}

TEST(SigV4Test, ErrorsNeverContainTheSecret) {
  Credentials credentials{"AKIDEXAMPLE", "TopSecretValue", "SessionTok",
                          absl::nullopt};
  HttpRequest request = MinimalRequest();
  request.headers.emplace_back("X-Amz-Security-Token", "x");
  absl::StatusOr<SignedParts> parts =
      SignRequest(credentials, request, SuiteParams());
  ASSERT_FALSE(parts.ok());
  EXPECT_EQ(parts.status().message().find("TopSecretValue"), std::string::npos);
  EXPECT_EQ(parts.status().message().find("SessionTok"), std::string::npos);
}

// ---- botocore cross-check ----------------------------------------------

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    result.output.append(buffer, n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool PythonHasBotocore() {
  return RunCommand("python3 -c 'import botocore' >/dev/null 2>&1").exit_code ==
         0;
}

const char kPutRecordsBody[] =
    R"({"StreamName":"streamgate-events","Records":[)"
    R"({"Data":"eyJ0ZW1wIjogMjEuNX0=","PartitionKey":"device-17"},)"
    R"({"Data":"AAECAwQFBgc=","PartitionKey":"home/kitchen  lights"}]})";

class BotocoreCrossCheckTest : public ::testing::TestWithParam<bool> {};

TEST_P(BotocoreCrossCheckTest, PutRecordsSignedLikeBotocore) {
  if (!PythonHasBotocore()) {
    GTEST_SKIP() << "python3 on PATH cannot import botocore; the botocore "
                    "cross-check needs it (the pyenv python3 has it)";
  }
  const bool with_token = GetParam();
  Credentials credentials;
  credentials.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  credentials.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  if (with_token) {
    credentials.session_token =
        "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+token/ab==";
  }
  SigningParams params;
  params.region = "eu-west-3";
  params.service = "kinesis";
  params.time = absl::FromCivil(absl::CivilSecond(2024, 2, 29, 23, 59, 58),
                                absl::UTCTimeZone());

  HttpRequest request;
  request.method = "POST";
  request.path = "/";
  request.body = kPutRecordsBody;
  request.headers = {
      {"Host", "kinesis.eu-west-3.amazonaws.com"},
      {"Content-Type", "application/x-amz-json-1.1"},
      {"X-Amz-Target", "Kinesis_20131202.PutRecords"},
  };
  absl::StatusOr<SignedParts> parts = SignRequest(credentials, request, params);
  ASSERT_TRUE(parts.ok()) << parts.status();

  // Hand botocore the same inputs through a JSON file.
  rapidjson::StringBuffer json;
  rapidjson::Writer<rapidjson::StringBuffer> writer(json);
  writer.StartObject();
  writer.Key("access_key_id");
  writer.String(credentials.access_key_id.c_str());
  writer.Key("secret_access_key");
  writer.String(credentials.secret_access_key.c_str());
  writer.Key("session_token");
  writer.String(credentials.session_token.c_str());
  writer.Key("region");
  writer.String(params.region.c_str());
  writer.Key("timestamp");
  writer.String("20240229T235958Z");
  writer.Key("body");
  writer.String(request.body.c_str());
  writer.EndObject();
  char input_path[] = "/tmp/sigv4_botocore_XXXXXX";
  int fd = mkstemp(input_path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, json.GetString(), json.GetSize()),
            static_cast<ssize_t>(json.GetSize()));
  close(fd);
  CommandResult run = RunCommand(absl::StrCat(
      "python3 '", STREAMGATE_SOURCE_DIR,
      "/tests/sinks/aws/botocore_sign.py' '", input_path, "'"));
  unlink(input_path);
  ASSERT_EQ(run.exit_code, 0) << run.output;

  rapidjson::Document botocore;
  ASSERT_FALSE(botocore.Parse(run.output.c_str()).HasParseError())
      << run.output;
  // botocore derives Host from the URL and never lists it in its headers;
  // compare everything else it sends, ignoring order.
  std::multiset<std::pair<std::string, std::string>> expected;
  for (const auto& header : botocore["headers"].GetArray()) {
    expected.emplace(header[0].GetString(), header[1].GetString());
  }
  std::multiset<std::pair<std::string, std::string>> actual;
  for (const auto& header : request.headers) {
    if (header.first != "Host") actual.insert(header);
  }
  for (const auto& header : parts->headers_to_add) actual.insert(header);
  EXPECT_EQ(actual, expected);

  const std::string authorization = botocore["authorization"].GetString();
  EXPECT_NE(authorization.find(with_token ? "x-amz-security-token"
                                          : "x-amz-date;x-amz-target,"),
            std::string::npos)
      << authorization;
  EXPECT_EQ(parts->headers_to_add.back().second, authorization);
  EXPECT_EQ(botocore["x_amz_date"].GetString(),
            std::string("20240229T235958Z"));
}

INSTANTIATE_TEST_SUITE_P(SessionToken, BotocoreCrossCheckTest,
                         ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "WithSessionToken"
                                             : "WithoutSessionToken";
                         });

}  // namespace
}  // namespace streamgate::aws
