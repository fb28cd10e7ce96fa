// KinesisSink at Close with records Kinesis never stored (endpoint down or
// no credentials, then a flush whose deadline passes, then Close), as a
// module stopped by SIGTERM sees it:
//  - memory queue: every record is dead-lettered (the sink's own file or
//    the gateway's shared one), every batch reports them dead_lettered, and
//    the log gives one count, the same the flush gave;
//  - spool: nothing is dead-lettered, every batch reports its records
//    undelivered (the spool replays them).
#include <algorithm>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/dead_letter_file.h"
#include "gtest/gtest.h"
#include "sinks/kinesis/kinesis_sink.h"
#include "simdjson.h"
#include "tests/sinks/kinesis/sink_test_support.h"

namespace streamgate::kinesis {
namespace {

using testing::MakeRecords;
using testing::ReadLines;
using testing::ReportLog;

// Every "<N> record(s)" / "<N> records" figure the sink logged, leaving
// out the lines about requests that "will be retried" (before shutdown).
std::vector<uint64_t> LoggedCounts(const std::vector<std::string>& messages) {
  static const std::regex kCount(R"((\d+) (?:record\(s\)|records?)\b)");
  std::vector<uint64_t> counts;
  for (const std::string& m : messages) {
    if (absl::StrContains(m, "will be retried")) continue;
    for (std::sregex_iterator it(m.begin(), m.end(), kCount), end; it != end; ++it) {
      uint64_t n = 0;
      if (absl::SimpleAtoi((*it)[1].str(), &n)) counts.push_back(n);
    }
  }
  return counts;
}

struct CloseCase {
  const char* name;
  int records;
  bool no_credentials;  // else the endpoint refuses connections
  bool shared_file;     // the gateway's dead_letter: file, not the sink's
};

void PrintTo(const CloseCase& c, std::ostream* os) { *os << c.name; }

class KinesisSinkCloseTest : public ::testing::TestWithParam<CloseCase> {
 protected:
  // The gateway's defaults, short timeouts (like the e2e test's config).
  static KinesisConfig Config(const std::string& name) {
    KinesisConfig c;
    c.region = "us-east-1";
    c.stream_name = "nowhere";
    c.endpoint = testing::DeadEndpoint();
    c.connect_timeout = absl::Milliseconds(200);
    c.request_timeout = absl::Milliseconds(500);
    c.initial_backoff = absl::Milliseconds(50);
    c.max_backoff = absl::Milliseconds(200);
    c.dead_letter_path =
        absl::StrCat(::testing::TempDir(), "/kinesis-close-", name, "/dead.jsonl");
    std::remove(c.dead_letter_path.c_str());
    return c;
  }

  // Delivers the records in batches of 100, lets the sink fail a first
  // attempt, flushes with a deadline that passes, closes. Returns Flush's.
  static absl::Status DeliverFlushClose(KinesisSink& sink, const OutBatch& records,
                                        ReportLog& log, int& batches) {
    EXPECT_TRUE(sink.Start().ok());
    batches = 0;
    for (size_t i = 0; i < records.size(); i += 100, ++batches) {
      OutBatch b(records.begin() + i,
                 records.begin() + std::min(records.size(), i + 100));
      const size_t n = b.size();
      sink.Deliver(std::move(b), log.Track(batches, n));
    }
    absl::SleepFor(absl::Milliseconds(300));
    absl::Status flushed = sink.Flush(absl::Now() + absl::Milliseconds(300));
    sink.Close();
    return flushed;
  }
};

TEST_P(KinesisSinkCloseTest, MemoryQueueDeadLettersEveryUnstoredRecordWithOneCount) {
  const CloseCase& cc = GetParam();
  KinesisConfig config = Config(cc.name);
  DeadLetterOptions shared_options;
  shared_options.path =
      absl::StrCat(::testing::TempDir(), "/kinesis-close-shared-", cc.name, ".jsonl");
  std::remove(shared_options.path.c_str());
  DeadLetterFile shared(shared_options);
  const std::string path = cc.shared_file ? shared_options.path : config.dead_letter_path;
  if (cc.shared_file) config.dead_letter_path.clear();
  std::shared_ptr<streamgate::testing::MemoryLogSink> messages;
  SinkContext context{"kin", /*durable_queue=*/false, &shared,
                      streamgate::testing::TestLogger("kin", messages)};
  KinesisSink sink(config, context,
                   cc.no_credentials ? testing::NoCredentials() : testing::TestCredentials());
  const OutBatch records = MakeRecords(cc.records, cc.name);
  ReportLog log;
  int batches = 0;
  absl::Status flushed = DeliverFlushClose(sink, records, log, batches);

  EXPECT_EQ(flushed.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(flushed.message(),
            absl::StrCat(cc.records, " record(s) not yet delivered to Kinesis stream nowhere"));
  // Every record in the dead-letter file, once, with its bytes.
  std::map<std::string, int> seen;
  simdjson::dom::parser parser;
  const std::vector<std::string> lines = ReadLines(path);
  for (const std::string& line : lines) {
    simdjson::dom::object o;
    ASSERT_EQ(parser.parse(line).get(o), simdjson::SUCCESS) << line;
    std::string_view module, data, reason;
    ASSERT_EQ(o["module"].get(module), simdjson::SUCCESS);
    ASSERT_EQ(o["data"].get(data), simdjson::SUCCESS);
    ASSERT_EQ(o["reason"].get(reason), simdjson::SUCCESS);
    EXPECT_EQ(module, "kin");
    EXPECT_EQ(reason.substr(0, 27), "sink closed before delivery") << reason;
    std::string decoded;
    ASSERT_TRUE(absl::Base64Unescape(std::string(data), &decoded));
    ++seen[decoded];
  }
  EXPECT_EQ(lines.size(), records.size());
  for (const OutRecord& r : records) EXPECT_EQ(seen[*r.data], 1);
  // Every batch reported once, all dead-lettered.
  EXPECT_EQ(log.calls().size(), static_cast<size_t>(batches));
  for (const auto& [batch, n] : log.calls()) EXPECT_EQ(n, 1) << "batch " << batch;
  EXPECT_FALSE(log.wrong_size());
  const DeliveryReport total = log.total();
  EXPECT_EQ(total.dead_lettered, records.size());
  EXPECT_EQ(total.delivered + total.undelivered, 0u);
  EXPECT_GT(total.retries, 0u);
  // One count in the log, the same as the flush's.
  const std::vector<std::string> logged = messages->Messages();
  EXPECT_NE(std::find(logged.begin(), logged.end(),
                      absl::StrCat("error: ", cc.records,
                                   " record(s) not delivered to stream nowhere by "
                                   "shutdown: dead-lettered")),
            logged.end());
  const std::vector<uint64_t> counts = LoggedCounts(logged);
  EXPECT_FALSE(counts.empty());
  for (uint64_t n : counts) EXPECT_EQ(n, static_cast<uint64_t>(cc.records));
}

TEST_P(KinesisSinkCloseTest, SpoolKeepsEveryUnstoredRecordUndelivered) {
  const CloseCase& cc = GetParam();
  KinesisConfig config = Config(absl::StrCat(cc.name, "-durable"));
  std::shared_ptr<streamgate::testing::MemoryLogSink> messages;
  SinkContext context{"kin", /*durable_queue=*/true, nullptr,
                      streamgate::testing::TestLogger("kin", messages)};
  KinesisSink sink(config, context,
                   cc.no_credentials ? testing::NoCredentials() : testing::TestCredentials());
  const OutBatch records = MakeRecords(cc.records, cc.name);
  ReportLog log;
  int batches = 0;
  EXPECT_FALSE(DeliverFlushClose(sink, records, log, batches).ok());
  EXPECT_TRUE(ReadLines(config.dead_letter_path).empty());
  EXPECT_EQ(log.calls().size(), static_cast<size_t>(batches));
  EXPECT_FALSE(log.wrong_size());
  const DeliveryReport total = log.total();
  EXPECT_EQ(total.undelivered, records.size());
  EXPECT_EQ(total.delivered + total.dead_lettered, 0u);
  const std::vector<std::string> logged = messages->Messages();
  EXPECT_NE(std::find(logged.begin(), logged.end(),
                      absl::StrCat("warning: ", cc.records,
                                   " record(s) not yet delivered to stream nowhere "
                                   "stay in the spool for the next start")),
            logged.end());
  for (uint64_t n : LoggedCounts(logged)) EXPECT_EQ(n, static_cast<uint64_t>(cc.records));
}

INSTANTIATE_TEST_SUITE_P(
    Shutdown, KinesisSinkCloseTest,
    ::testing::Values(CloseCase{"Five", 5, false, false},
                      CloseCase{"EndpointDown2000", 2000, false, false},
                      CloseCase{"NoCredentialsSharedFile2000", 2000, true, true}),
    [](const ::testing::TestParamInfo<CloseCase>& info) { return info.param.name; });

}  // namespace
}  // namespace streamgate::kinesis
