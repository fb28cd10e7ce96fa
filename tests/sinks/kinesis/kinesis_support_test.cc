// Small pieces of the Kinesis sink: endpoint parsing, the log limiter and
// the dead-letter writer.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "sinks/kinesis/dead_letter_writer.h"
#include "sinks/kinesis/endpoint.h"
#include "sinks/kinesis/log_limiter.h"

namespace streamgate::kinesis {
namespace {

TEST(EndpointTest, ParsesUrls) {
  auto e = ParseEndpoint("https://kinesis.eu-west-1.amazonaws.com");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->https);
  EXPECT_EQ(e->host, "kinesis.eu-west-1.amazonaws.com");
  EXPECT_EQ(e->path, "/");
  e = ParseEndpoint("http://127.0.0.1:4567/");
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->https);
  EXPECT_EQ(e->host, "127.0.0.1:4567");
  EXPECT_EQ(e->url, "http://127.0.0.1:4567");
  e = ParseEndpoint("https://Example.com:443/prefix/");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "example.com");  // default port left out, as signed
  EXPECT_EQ(e->path, "/prefix");
  e = ParseEndpoint("http://[::1]:8080");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "[::1]:8080");
  for (const char* bad : {"ftp://x", "kinesis.amazonaws.com", "http://", "http://:80",
                          "http://u:p@host", "http://host:0", "http://host:99999",
                          "http://host/?a=b", "http://ho st"}) {
    EXPECT_FALSE(ParseEndpoint(bad).ok()) << bad;
  }
}

TEST(LogLimiterTest, OneLinePerKeyPerIntervalWithSuppressedCount) {
  LogLimiter limiter(absl::Seconds(10));
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  uint64_t suppressed = 99;
  EXPECT_TRUE(limiter.Allow("A", t0, suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_FALSE(limiter.Allow("A", t0 + absl::Seconds(1), suppressed));
  EXPECT_FALSE(limiter.Allow("A", t0 + absl::Seconds(9), suppressed));
  EXPECT_TRUE(limiter.Allow("B", t0 + absl::Seconds(9), suppressed));  // own key
  EXPECT_TRUE(limiter.Allow("A", t0 + absl::Seconds(10), suppressed));
  EXPECT_EQ(suppressed, 2u);
  EXPECT_FALSE(limiter.Allow("A", t0 + absl::Seconds(11), suppressed));
}

PendingRecord Rec(std::string data, std::string key, std::string error, int attempts) {
  PendingRecord r;
  r.record.data = std::make_shared<const std::string>(std::move(data));
  r.record.partition_key = std::move(key);
  r.last_error = std::move(error);
  r.attempts = attempts;
  return r;
}

TEST(DeadLetterWriterTest, CreatesParentDirsAndAppendsJsonLines) {
  const std::string dir = ::testing::TempDir() + "/dlw-test";
  std::filesystem::remove_all(dir);
  const std::string path = dir + "/a/b/dead.jsonl";
  {
    DeadLetterWriter w("mod-1", path);
    ASSERT_TRUE(w.Open().ok());
    PendingBatch b;
    b.push_back(Rec("hi", "42", "ResourceNotFoundException: Stream \"s\" gone", 1));
    b.push_back(Rec(std::string("\0\xff", 2), "k\n", "x", 3));
    EXPECT_EQ(w.Write(b), 2u);
  }
  {
    DeadLetterWriter w("mod-1", path);  // appends, keeps earlier lines
    ASSERT_TRUE(w.Open().ok());
    EXPECT_EQ(w.Write({Rec("", "7", "TTL", 9)}), 1u);
  }
  std::ifstream in(path);
  std::string l1, l2, l3, extra;
  std::getline(in, l1);
  std::getline(in, l2);
  std::getline(in, l3);
  EXPECT_FALSE(std::getline(in, extra));
  EXPECT_EQ(l1,
            "{\"module\":\"mod-1\",\"partitionKey\":\"42\",\"data\":\"aGk=\","
            "\"error\":\"ResourceNotFoundException: Stream \\\"s\\\" gone\","
            "\"attempts\":1}");
  EXPECT_EQ(l2,
            "{\"module\":\"mod-1\",\"partitionKey\":\"k\\n\",\"data\":\"AP8=\","
            "\"error\":\"x\",\"attempts\":3}");
  EXPECT_EQ(l3,
            "{\"module\":\"mod-1\",\"partitionKey\":\"7\",\"data\":\"\","
            "\"error\":\"TTL\",\"attempts\":9}");
  std::filesystem::remove_all(dir);
}

TEST(DeadLetterWriterTest, WithoutPathNothingIsWrittenButOpenSucceeds) {
  DeadLetterWriter w("mod-2", "");
  ASSERT_TRUE(w.Open().ok());
  EXPECT_EQ(w.Write({Rec("d", "k", "e", 1)}), 0u);  // logged at ERROR instead
}

TEST(DeadLetterWriterTest, UnwritableDirectoryIsAnErrorNamingTheField) {
  DeadLetterWriter w("mod-3", "/proc/streamgate-no/dead.jsonl");
  absl::Status s = w.Open();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("sink.dead_letter_path"), absl::string_view::npos);
}

}  // namespace
}  // namespace streamgate::kinesis
