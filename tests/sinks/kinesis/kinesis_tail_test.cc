// streamgate-tail against a real kinesalite filled by the Kinesis sink, and
// the same stream read by an independent reader (botocore, skipped when it
// is not installed): both must see every record exactly once, byte for byte.
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "sinks/kinesis/kinesis_sink.h"
#include "tests/sinks/kinesis/kinesis_test_support.h"
#include "tests/sinks/test_logger.h"

namespace streamgate::kinesis {
namespace {

// Runs a shell command, returns its stdout and exit status.
std::string RunCommand(const std::string& cmd, int* status) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    *status = -1;
    return out;
  }
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *status = pclose(p);
  return out;
}

using KeyData = std::pair<std::string, std::string>;

class KinesisTailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The env provider comes first in the chain; dummy keys suffice here.
    setenv("AWS_ACCESS_KEY_ID", "AKIDTAILTEST", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret", 1);
    setenv("AWS_DEFAULT_REGION", "us-east-1", 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    auto k = testing::StartKinesalite();
    ASSERT_TRUE(k.ok()) << k.status();
    kinesalite_ = *std::move(k);
    testing::KinesisTestClient client(kinesalite_->url());
    ASSERT_TRUE(client.CreateStream(stream_, 4).ok());

    KinesisConfig config;
    config.region = "us-east-1";
    config.stream_name = stream_;
    config.endpoint = kinesalite_->url();
    config.linger = absl::Milliseconds(5);
    config.max_records = 50;
    KinesisSink sink(config,
                     SinkContext{"m-tail", false, nullptr,
                                 streamgate::testing::TestLogger("m-tail")},
                     [] {
      return absl::StatusOr<std::unique_ptr<aws::CredentialsProvider>>(
          std::make_unique<testing::StaticCredentials>());
    });
    ASSERT_TRUE(sink.Start().ok());
    OutBatch batch;
    for (int i = 0; i < 200; ++i) {
      OutRecord r;
      std::string data = absl::StrCat("{\"n\":", i, "}");
      if (i % 5 == 0) data.append(std::string("\0\xfe\"\\\n", 5));
      r.data = std::make_shared<const std::string>(data);
      r.partition_key = i % 3 == 0 ? absl::StrCat("home-", i % 17) : std::to_string(i % 40);
      expected_[{r.partition_key, data}] = 1;
      batch.push_back(std::move(r));
    }
    DeliveryReport report;
    sink.Deliver(std::move(batch), [&](const DeliveryReport& r) { report = r; });
    ASSERT_TRUE(sink.Flush(absl::Now() + absl::Seconds(30)).ok());
    sink.Close();
    ASSERT_EQ(report.delivered, 200u);
  }

  std::string stream_ = "tail-stream";
  std::unique_ptr<testing::PortProcess> kinesalite_;
  std::map<KeyData, int> expected_;
};

TEST_F(KinesisTailTest, TailPrintsEveryRecordOnce) {
  int status = 0;
  std::string out = RunCommand(
      absl::StrCat(STREAMGATE_TAIL_BIN, " --endpoint ", kinesalite_->url(),
                   " --region us-east-1 --stream ", stream_, " --from oldest"),
      &status);
  ASSERT_EQ(status, 0) << out;
  std::map<KeyData, int> seen;
  simdjson::dom::parser parser;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    std::string line = out.substr(start, end - start);
    start = end + 1;
    simdjson::dom::object o;
    ASSERT_EQ(parser.parse(line).get(o), simdjson::SUCCESS) << line;
    std::string_view shard, seq, key, data;
    ASSERT_EQ(o["shardId"].get(shard), simdjson::SUCCESS);
    ASSERT_EQ(o["sequenceNumber"].get(seq), simdjson::SUCCESS);
    ASSERT_EQ(o["partitionKey"].get(key), simdjson::SUCCESS);
    ASSERT_EQ(o["data"].get(data), simdjson::SUCCESS);
    EXPECT_EQ(shard.substr(0, 8), "shardId-");
    EXPECT_FALSE(seq.empty());
    std::string decoded;
    ASSERT_TRUE(absl::Base64Unescape(std::string(data), &decoded));
    ++seen[{std::string(key), decoded}];
  }
  EXPECT_EQ(seen, expected_);

  // From the latest: nothing new was written, so nothing is printed.
  out = RunCommand(absl::StrCat(STREAMGATE_TAIL_BIN, " --endpoint ", kinesalite_->url(),
                                " --region us-east-1 --stream ", stream_,
                                " --from latest"),
                   &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(out, "");

  // A missing stream is an error naming the AWS error code.
  out = RunCommand(absl::StrCat(STREAMGATE_TAIL_BIN, " --endpoint ", kinesalite_->url(),
                                " --region us-east-1 --stream nope 2>&1"),
                   &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("ResourceNotFoundException"), std::string::npos) << out;
}

TEST_F(KinesisTailTest, FollowPrintsRecordsWrittenLater) {
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  const std::string url = kinesalite_->url();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execl(STREAMGATE_TAIL_BIN, STREAMGATE_TAIL_BIN, "--endpoint", url.c_str(), "--region",
          "us-east-1", "--stream", stream_.c_str(), "--from", "oldest", "--follow",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string text;
  size_t lines = 0;
  // Reads until `want` lines were printed (or 30 s pass).
  auto read_until = [&](size_t want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (lines < want && absl::Now() < deadline) {
      pollfd pfd{out[0], POLLIN, 0};
      if (poll(&pfd, 1, 1000) <= 0) continue;
      char buf[65536];
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, n);
      lines = std::count(text.begin(), text.end(), '\n');
    }
  };
  // First it prints what is there, then keeps following.
  read_until(expected_.size());
  EXPECT_EQ(lines, expected_.size());

  KinesisConfig config;
  config.region = "us-east-1";
  config.stream_name = stream_;
  config.endpoint = url;
  config.linger = absl::Milliseconds(5);
  KinesisSink sink(config,
                   SinkContext{"m-follow", false, nullptr,
                               streamgate::testing::TestLogger("m-follow")},
                   [] {
    return absl::StatusOr<std::unique_ptr<aws::CredentialsProvider>>(
        std::make_unique<testing::StaticCredentials>());
  });
  ASSERT_TRUE(sink.Start().ok());
  OutBatch later;
  for (int i = 0; i < 20; ++i) {
    OutRecord r;
    r.data = std::make_shared<const std::string>(absl::StrCat("later-", i));
    r.partition_key = absl::StrCat("f", i);
    later.push_back(std::move(r));
  }
  sink.Deliver(later, [](const DeliveryReport&) {});
  ASSERT_TRUE(sink.Flush(absl::Now() + absl::Seconds(30)).ok());
  sink.Close();
  const size_t want = expected_.size() + later.size();
  read_until(want);
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  close(out[0]);
  EXPECT_EQ(lines, want);
  for (const auto& r : later) {
    EXPECT_NE(text.find(absl::StrCat("\"data\":\"", absl::Base64Escape(*r.data), "\"")),
              std::string::npos)
        << *r.data;
  }
}

TEST_F(KinesisTailTest, BotocoreReadsTheSameRecords) {
  // botocore is what the AWS CLI runs on; one process instead of nine CLI calls.
  int status = 0;
  std::string out = RunCommand(
      absl::StrCat("python3 ", STREAMGATE_SOURCE_DIR,
                   "/tests/sinks/kinesis/botocore_read_stream.py ", kinesalite_->url(),
                   " ", stream_),
      &status);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
    GTEST_SKIP() << "python3 has no botocore; independent read skipped";
  }
  ASSERT_EQ(status, 0) << out;
  std::map<KeyData, int> seen;
  simdjson::dom::parser parser;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    ASSERT_NE(end, std::string::npos);
    std::string line = out.substr(start, end - start);
    start = end + 1;
    simdjson::dom::object o;
    ASSERT_EQ(parser.parse(line).get(o), simdjson::SUCCESS) << line;
    std::string_view key, data;
    ASSERT_EQ(o["partitionKey"].get(key), simdjson::SUCCESS);
    ASSERT_EQ(o["data"].get(data), simdjson::SUCCESS);
    std::string decoded;
    ASSERT_TRUE(absl::Base64Unescape(std::string(data), &decoded));
    ++seen[{std::string(key), decoded}];
  }
  EXPECT_EQ(seen, expected_);
}

}  // namespace
}  // namespace streamgate::kinesis
