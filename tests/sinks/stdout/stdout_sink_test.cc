// StdoutSink: the file sink's JSON lines on standard output (redirected to
// a file here), each batch reported delivered; the factory takes no field
// but `type`.
#include "sinks/stdout/stdout_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "gateway/api/config_reader.h"
#include "gtest/gtest.h"
#include "sinks/stdout/config.h"
#include "tests/sinks/recording_metrics.h"
#include "tests/sinks/test_logger.h"
#include "yaml-cpp/yaml.h"

namespace streamgate {
namespace {

OutRecord Rec(const std::string& data, const std::string& key) {
  return OutRecord{std::make_shared<const std::string>(data), key};
}

TEST(StdoutSinkTest, WritesLinesAndReportsTheBatchDelivered) {
  const std::string path = ::testing::TempDir() + "/stdout-sink-test.out";
  std::fflush(stdout);
  const int saved = ::dup(STDOUT_FILENO);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_GE(::dup2(fd, STDOUT_FILENO), 0);
  ::close(fd);
  StdoutSink sink("console", testing::TestLogger("console"));
  DeliveryReport got;
  int calls = 0;
  ASSERT_TRUE(sink.Start().ok());
  sink.Deliver({Rec("hello", "42"), Rec("", "7")}, [&](const DeliveryReport& r) {
    got = r;
    ++calls;
  });
  EXPECT_TRUE(sink.Flush(absl::Now() + absl::Seconds(1)).ok());
  sink.Close();
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(got.delivered, 2u);
  EXPECT_EQ(got.dead_lettered + got.undelivered + got.retries, 0u);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(),
            "{\"module\":\"console\",\"partitionKey\":\"42\",\"data\":\"aGVsbG8=\"}\n"
            "{\"module\":\"console\",\"partitionKey\":\"7\",\"data\":\"\"}\n");
}

TEST(StdoutSinkTest, ReportsNoRetries) {
  StdoutSink sink("console", testing::TestLogger("console"));
  testing::RecordingWriter out;
  sink.CollectMetrics(out);
  EXPECT_TRUE(out.samples().empty());  // retries are the module's, from reports
}

TEST(StdoutSinkFactoryTest, OnlyTypeIsAllowed) {
  auto factory = MakeStdoutSinkFactory();
  EXPECT_EQ(factory->type(), "stdout");
  SinkContext context{"m", false, nullptr, testing::TestLogger("m")};
  EXPECT_TRUE(factory->Create(ConfigReader(YAML::Load("type: stdout"), "sink"), context).ok());
  auto bad = factory->Create(
      ConfigReader(YAML::Load("type: stdout\npath: /x\n"), "sink"), context);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "sink.path (line 2): unknown field (expected one of: type)");
}

}  // namespace
}  // namespace streamgate
