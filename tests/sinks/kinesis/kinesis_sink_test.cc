// KinesisSink end to end against a real kinesalite (started here on a free
// loopback port): every record must land exactly once, byte for byte, with
// its partition key, on the shard whose hash range holds MD5(key);
// non-retryable errors and oversized records must land in the dead-letter
// file; every Deliver call gets one DeliveryReport that accounts for each
// of its records. Faults: kinesis_sink_fault_test.cc; Close:
// kinesis_sink_close_test.cc.
#include "sinks/kinesis/kinesis_sink.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/dead_letter_file.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tests/sinks/kinesis/sink_test_support.h"

namespace streamgate::kinesis {
namespace {

using testing::Context;
using testing::KinesisSinkTest;
using testing::MakeRecords;
using testing::ReadLines;
using testing::ReportLog;
using testing::TestCredentials;

TEST_F(KinesisSinkTest, DeliversEveryRecordOnceOnItsShard) {
  std::string stream = NewStream();
  OutBatch records = MakeRecords(1500, "plain");
  // A few large records exercise the byte limit (max_request_bytes 200 KB).
  for (int i = 0; i < 6; ++i) {
    OutRecord r;
    r.data = std::make_shared<const std::string>(std::string(90000, 'A' + i));
    r.partition_key = absl::StrCat("big-", i);
    records.push_back(std::move(r));
  }
  KinesisConfig config = Config(stream, kinesalite_->url());
  config.max_request_bytes = 200000;
  KinesisSink sink(config, Context("m-plain"), TestCredentials());
  const DeliveryReport total = Run(sink, records);
  ExpectExactlyOnce(records, ReadBack(stream));
  EXPECT_EQ(total.delivered, records.size());
  EXPECT_EQ(total.dead_lettered + total.undelivered + total.retries, 0u);
  const auto& c = sink.counters();
  EXPECT_EQ(c.records_accepted.load(), records.size());
  EXPECT_EQ(c.records_retried.load(), 0u);
  EXPECT_GE(c.requests_ok.load(), 16u);  // at least 1506/100 requests
  EXPECT_TRUE(ReadLines(config.dead_letter_path).empty());
}

TEST_F(KinesisSinkTest, OversizedRecordIsDeadLetteredNotSent) {
  std::string stream = NewStream();
  OutBatch records = MakeRecords(20, "size");
  OutRecord big;
  big.data = std::make_shared<const std::string>(std::string(995, 'x'));
  big.partition_key = "123456";  // 995 + 6 = 1001 > 1000
  KinesisConfig config = Config(stream, kinesalite_->url());
  config.max_record_bytes = 1000;
  KinesisSink sink(config, Context("m-size"), TestCredentials());
  OutBatch all = records;
  all.push_back(big);
  const DeliveryReport total = Run(sink, all);
  ExpectExactlyOnce(records, ReadBack(stream));
  auto lines = ReadLines(config.dead_letter_path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"module\":\"m-size\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("\"partitionKey\":\"123456\""), std::string::npos);
  EXPECT_NE(lines[0].find(absl::StrCat("\"data\":\"", absl::Base64Escape(*big.data), "\"")),
            std::string::npos);
  EXPECT_NE(lines[0].find("over sink.max_record_bytes 1000"), std::string::npos);
  EXPECT_NE(lines[0].find("\"attempts\":0"), std::string::npos);
  EXPECT_EQ(total.dead_lettered, 1u);
  EXPECT_EQ(total.delivered, records.size());
}

TEST_F(KinesisSinkTest, MissingStreamGoesToDeadLetterAtOnce) {
  KinesisConfig config = Config("no-such-stream", kinesalite_->url());
  OutBatch records = MakeRecords(30, "missing");
  KinesisSink sink(config, Context("m-missing"), TestCredentials());
  const DeliveryReport total = Run(sink, records);
  auto lines = ReadLines(config.dead_letter_path);
  ASSERT_EQ(lines.size(), records.size());
  std::map<std::string, int> data_seen;
  simdjson::dom::parser parser;
  for (const auto& line : lines) {
    simdjson::dom::object o;
    ASSERT_EQ(parser.parse(line).get(o), simdjson::SUCCESS) << line;
    std::string_view module, key, data, error, source, time;
    int64_t attempts = 0, bytes = 0;
    ASSERT_EQ(o["module"].get(module), simdjson::SUCCESS);
    ASSERT_EQ(o["source"].get(source), simdjson::SUCCESS);
    ASSERT_EQ(o["time"].get(time), simdjson::SUCCESS);
    ASSERT_EQ(o["partitionKey"].get(key), simdjson::SUCCESS);
    ASSERT_EQ(o["data"].get(data), simdjson::SUCCESS);
    ASSERT_EQ(o["reason"].get(error), simdjson::SUCCESS);
    ASSERT_EQ(o["attempts"].get(attempts), simdjson::SUCCESS);
    ASSERT_EQ(o["bytes"].get(bytes), simdjson::SUCCESS);
    EXPECT_EQ(module, "m-missing");
    EXPECT_EQ(source, "kinesis");
    EXPECT_EQ(error.substr(0, 25), "ResourceNotFoundException");
    EXPECT_EQ(attempts, 1);  // not retried
    std::string decoded;
    ASSERT_TRUE(absl::Base64Unescape(std::string(data), &decoded));
    EXPECT_EQ(static_cast<size_t>(bytes), decoded.size());
    ++data_seen[std::string(key) + "|" + decoded];
  }
  for (const auto& r : records) {
    EXPECT_EQ(data_seen[absl::StrCat(r.partition_key, "|", *r.data)], 1);
  }
  EXPECT_EQ(total.dead_lettered, records.size());
  EXPECT_EQ(total.retries, 0u);
  const auto& c = sink.counters();
  EXPECT_EQ(c.records_retried.load(), 0u);
  EXPECT_GE(c.requests_fatal_failure.load(), 1u);
  EXPECT_EQ(c.ErrorsByCode().count("ResourceNotFoundException"), 1u);
}

TEST_F(KinesisSinkTest, DeliverBlocksWhileTooMuchIsPending) {
  std::string stream = NewStream();
  // The first request is forwarded and its answer dropped: nothing can be
  // delivered until it times out.
  auto proxy = testing::StartFaultProxy(kinesalite_->port(), "[\"drop\"]");
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  KinesisConfig config = Config(stream, (*proxy)->url());
  config.request_timeout = absl::Milliseconds(1000);
  config.max_in_flight = 1;
  config.max_records = 10;  // bound: 10 * (1 + 2) * 2 = 60 pending records
  KinesisSink sink(config, Context("m-bp"), TestCredentials());
  ASSERT_TRUE(sink.Start().ok());
  OutBatch records = MakeRecords(120, "bp");
  ReportLog log;
  // Six batches of one request each reach the bound.
  for (int b = 0; b < 6; ++b) {
    sink.Deliver(OutBatch(records.begin() + 10 * b, records.begin() + 10 * (b + 1)),
                 log.Track(b, 10));
  }
  EXPECT_EQ(sink.counters().requests_ok.load(), 0u);
  // Over the bound: this Deliver returns only once records were stored
  // (a request came back OK).
  sink.Deliver(OutBatch(records.begin() + 60, records.end()), log.Track(6, 60));
  EXPECT_GT(sink.counters().requests_ok.load(), 0u);
  EXPECT_TRUE(sink.Flush(absl::Now() + absl::Seconds(60)).ok());
  sink.Close();
  EXPECT_EQ(log.total().delivered, records.size());
  // The dropped request's records (from whichever batches its shards held).
  EXPECT_EQ(log.total().retries, 10u);
  EXPECT_EQ(sink.counters().possible_duplicates.load(), 10u);
  EXPECT_FALSE(log.wrong_size());
}

// No credentials: records are retried (nothing is sent) until their TTL,
// then dead-lettered with the reason.
TEST_F(KinesisSinkTest, MissingCredentialsEndInDeadLetterAfterTtl) {
  KinesisConfig config = Config("creds-stream", kinesalite_->url());
  config.record_ttl = absl::Seconds(1);
  KinesisSink sink(config, Context("m-creds"), testing::NoCredentials());
  const DeliveryReport total = Run(sink, MakeRecords(5, "creds"));
  auto lines = ReadLines(config.dead_letter_path);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_NE(lines[0].find("record_ttl_s exceeded"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("CredentialsError: no credentials provider answered"),
            std::string::npos);
  EXPECT_EQ(sink.counters().requests_sent.load(), 0u);
  EXPECT_EQ(total.dead_lettered, 5u);
  EXPECT_GT(total.retries, 0u);
}

TEST_F(KinesisSinkTest, StartFailsWhenCredentialsCannotBeBuilt) {
  KinesisSink sink(Config("x", kinesalite_->url()), Context("m-nocreds"), [] {
    return absl::StatusOr<std::unique_ptr<aws::CredentialsProvider>>(
        absl::InvalidArgumentError("sts_endpoint: bad"));
  });
  absl::Status s = sink.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("module m-nocreds"), absl::string_view::npos) << s;
}

TEST_F(KinesisSinkTest, EachDeliverGetsOneReportOnceEveryRecordSettled) {
  std::string stream = NewStream();
  // Failures force retries, so records of one batch settle in several
  // requests.
  auto proxy = testing::StartFaultProxy(
      kinesalite_->port(),
      "[\"fail:InternalFailure\",\"500\",\"pass\",\"throttle\"]");
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  KinesisConfig config = Config(stream, (*proxy)->url());
  KinesisSink sink(config, Context("m-deliver"), TestCredentials());
  ASSERT_TRUE(sink.Start().ok());
  OutBatch records = MakeRecords(700, "deliver");
  // One record Kinesis would refuse: dead-lettered at once, still settles
  // its batch.
  OutRecord too_big;
  too_big.data = std::make_shared<const std::string>(std::string(1100000, 'x'));
  too_big.partition_key = "big";
  ReportLog log;
  const size_t kBatch = 70;
  int batches = 0;
  for (size_t i = 0; i < records.size(); i += kBatch, ++batches) {
    OutBatch b(records.begin() + i,
               records.begin() + std::min(records.size(), i + kBatch));
    if (batches == 3) b.push_back(too_big);
    const size_t n = b.size();
    sink.Deliver(std::move(b), log.Track(batches, n));
  }
  sink.Deliver(OutBatch(), log.Track(batches, 0));  // empty: done at once
  ++batches;
  ASSERT_TRUE(sink.Flush(absl::Now() + absl::Seconds(60)).ok());
  sink.Close();
  EXPECT_FALSE(log.wrong_size());
  ASSERT_EQ(log.calls().size(), static_cast<size_t>(batches));
  for (const auto& [batch, n] : log.calls()) EXPECT_EQ(n, 1) << "batch " << batch;
  EXPECT_EQ(log.report(3).dead_lettered, 1u);
  const DeliveryReport total = log.total();
  EXPECT_EQ(total.delivered, records.size());
  EXPECT_EQ(total.dead_lettered, 1u);
  EXPECT_EQ(total.undelivered, 0u);
  // Every retry the sink counted belongs to one batch's report.
  EXPECT_GT(total.retries, 0u);
  EXPECT_EQ(total.retries, sink.counters().records_retried.load());
  ExpectExactlyOnce(records, ReadBack(stream));
  EXPECT_EQ(ReadLines(config.dead_letter_path).size(), 1u);
}

// Without a file of its own the sink writes to the gateway's dead-letter
// file.
TEST_F(KinesisSinkTest, DeadLettersGoToTheSharedFileWithoutAPathOfItsOwn) {
  KinesisConfig config = Config("no-such-stream-shared", kinesalite_->url());
  config.dead_letter_path.clear();
  DeadLetterOptions options;
  options.path = absl::StrCat(::testing::TempDir(), "/kinesis-shared-dl/dead.jsonl");
  std::remove(options.path.c_str());
  DeadLetterFile shared(options);
  ASSERT_TRUE(shared.Open().ok());
  KinesisSink sink(config, Context("m-shared", false, &shared), TestCredentials());
  const DeliveryReport total = Run(sink, MakeRecords(12, "shared"));
  EXPECT_EQ(total.dead_lettered, 12u);
  auto lines = ReadLines(options.path);
  ASSERT_EQ(lines.size(), 12u);
  EXPECT_NE(lines[0].find("\"module\":\"m-shared\""), std::string::npos);
  EXPECT_NE(lines[0].find("ResourceNotFoundException"), std::string::npos);
}

}  // namespace
}  // namespace streamgate::kinesis
