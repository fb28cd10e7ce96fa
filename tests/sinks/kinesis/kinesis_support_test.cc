// Small pieces of the Kinesis sink: the log limiter, the dead-letter
// writer, the completion tracker and the sink's metrics.
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/common/log_limiter.h"
#include "gtest/gtest.h"
#include "sinks/kinesis/dead_letter_writer.h"
#include "sinks/kinesis/delivery_tracker.h"
#include "sinks/kinesis/sink_metrics.h"
#include "tests/sinks/recording_metrics.h"
#include "tests/sinks/test_logger.h"

namespace streamgate::kinesis {
namespace {

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

DeadLetterOptions Own(std::string path) {
  DeadLetterOptions o;
  o.path = std::move(path);
  return o;
}

TEST(DeadLetterWriterTest, CreatesParentDirsAndAppendsJsonLines) {
  const std::string dir = ::testing::TempDir() + "/dlw-test";
  std::filesystem::remove_all(dir);
  const std::string path = dir + "/a/b/dead.jsonl";
  const absl::Time t = absl::FromUnixMillis(1700000000123);
  {
    DeadLetterWriter w("mod-1", Own(path), nullptr, streamgate::testing::TestLogger("mod-1"));
    ASSERT_TRUE(w.Open().ok());
    PendingBatch b;
    b.push_back(Rec("hi", "42", "ResourceNotFoundException: Stream \"s\" gone", 1));
    b.push_back(Rec(std::string("\0\xff", 2), "k\n", "x", 3));
    EXPECT_EQ(w.Write(b, t), 2u);
  }
  {
    DeadLetterWriter w("mod-1", Own(path), nullptr, streamgate::testing::TestLogger("mod-1"));  // appends
    ASSERT_TRUE(w.Open().ok());
    EXPECT_EQ(w.Write({Rec("", "7", "TTL", 9)}, t), 1u);
  }
  std::ifstream in(path);
  std::string l1, l2, l3, extra;
  std::getline(in, l1);
  std::getline(in, l2);
  std::getline(in, l3);
  EXPECT_FALSE(std::getline(in, extra));
  EXPECT_EQ(l1,
            "{\"time\":\"2023-11-14T22:13:20.123Z\",\"source\":\"kinesis\","
            "\"module\":\"mod-1\",\"reason\":\"ResourceNotFoundException: "
            "Stream \\\"s\\\" gone\",\"attempts\":1,\"partitionKey\":\"42\","
            "\"bytes\":2,\"data\":\"aGk=\"}");
  EXPECT_EQ(l2,
            "{\"time\":\"2023-11-14T22:13:20.123Z\",\"source\":\"kinesis\","
            "\"module\":\"mod-1\",\"reason\":\"x\",\"attempts\":3,"
            "\"partitionKey\":\"k\\n\",\"bytes\":2,\"data\":\"AP8=\"}");
  EXPECT_EQ(l3,
            "{\"time\":\"2023-11-14T22:13:20.123Z\",\"source\":\"kinesis\","
            "\"module\":\"mod-1\",\"reason\":\"TTL\",\"attempts\":9,"
            "\"partitionKey\":\"7\",\"bytes\":0,\"data\":\"\"}");
  std::filesystem::remove_all(dir);
}

TEST(DeadLetterWriterTest, WithoutAnyFileNothingIsWrittenButTheCountIsLogged) {
  std::shared_ptr<streamgate::testing::MemoryLogSink> log;
  DeadLetterWriter w("mod-2", Own(""), nullptr,
                     streamgate::testing::TestLogger("mod-2", log));
  ASSERT_TRUE(w.Open().ok());
  EXPECT_EQ(w.Write({Rec("d", "k", "e\nforged", 1), Rec("d", "k", "e", 1)}, absl::Now()),
            0u);
  ASSERT_EQ(log->Messages().size(), 1u);
  EXPECT_EQ(log->Messages()[0],
            "error: 2 record(s) undeliverable and neither sink.dead_letter_path "
            "nor dead_letter.path is set; first reason: e\\nforged");
}

TEST(DeadLetterWriterTest, UsesTheSharedFileWithoutOneOfItsOwn) {
  const std::string dir = ::testing::TempDir() + "/dlw-shared";
  std::filesystem::remove_all(dir);
  DeadLetterFile shared(Own(dir + "/dead.jsonl"));
  ASSERT_TRUE(shared.Open().ok());
  DeadLetterWriter w("mod-4", Own(""), &shared, streamgate::testing::TestLogger("mod-4"));
  ASSERT_TRUE(w.Open().ok());
  EXPECT_EQ(w.file(), &shared);
  EXPECT_EQ(w.Write({Rec("d", "k", "e", 1), Rec("d2", "k", "e", 1)}, absl::Now()),
            2u);
  EXPECT_EQ(shared.counters().lines_written.load(), 2u);
  std::filesystem::remove_all(dir);
}

// The sink's own file is bounded and rotated like the gateway's.
TEST(DeadLetterWriterTest, OwnFileIsBoundedAndRotated) {
  const std::string dir = ::testing::TempDir() + "/dlw-rotate";
  std::filesystem::remove_all(dir);
  DeadLetterFile shared(Own(dir + "/shared.jsonl"));
  DeadLetterWriter w("mod-5", Own(dir + "/own.jsonl"), &shared, streamgate::testing::TestLogger("mod-5"));
  ASSERT_TRUE(w.Open().ok());
  ASSERT_NE(w.file(), &shared);
  const int64_t max_bytes = w.file()->options().max_bytes;
  // Lines of ~1 MiB: enough of them to pass the default bound once.
  const int lines = static_cast<int>(max_bytes / (1 << 20)) + 2;
  for (int i = 0; i < lines; ++i) {
    EXPECT_EQ(w.Write({Rec(std::string(786432, 'z'), "k", "e", 1)}, absl::Now()),
              1u);
  }
  EXPECT_EQ(w.file()->counters().rotations.load(), 1u);
  EXPECT_TRUE(std::filesystem::exists(dir + "/own.jsonl.1"));
  EXPECT_LE(static_cast<int64_t>(std::filesystem::file_size(dir + "/own.jsonl")),
            max_bytes);
  std::filesystem::remove_all(dir);
}

TEST(DeadLetterWriterTest, UnwritableDirectoryIsAnErrorNamingTheField) {
  DeadLetterWriter w("mod-3", Own("/proc/streamgate-no/dead.jsonl"), nullptr, streamgate::testing::TestLogger("mod-3"));
  absl::Status s = w.Open();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("sink.dead_letter_path"), absl::string_view::npos);
  EXPECT_EQ(s.message().find("dead_letter.path"), absl::string_view::npos) << s;
}

TEST(DeliveryTrackerTest, ReportsEachTicketOnceWhenItsLastRecordSettles) {
  DeliveryTracker tracker;
  std::vector<std::pair<int, DeliveryReport>> done;
  auto track = [&](int id) {
    return [&done, id](const DeliveryReport& r) { done.emplace_back(id, r); };
  };
  const uint64_t a = tracker.Open(3, track(1));
  const uint64_t b = tracker.Open(2, track(2));
  Tallies step;
  TallyOf(step, a).delivered = 1;
  TallyOf(step, a).retries = 2;
  TallyOf(step, b).dead_lettered = 2;
  tracker.Settle(step);
  ASSERT_EQ(done.size(), 1u);  // b is complete, a is not
  EXPECT_EQ(done[0].first, 2);
  EXPECT_EQ(done[0].second.dead_lettered, 2u);
  Tallies rest;
  TallyOf(rest, a).delivered = 2;
  tracker.Settle(rest);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[1].first, 1);
  EXPECT_EQ(done[1].second.delivered, 3u);
  EXPECT_EQ(done[1].second.retries, 2u);
  EXPECT_EQ(tracker.CloseAll(), 0u);
  EXPECT_EQ(done.size(), 2u);  // nothing runs twice
}

TEST(DeliveryTrackerTest, CloseAllReportsWhatIsLeftUndelivered) {
  DeliveryTracker tracker;
  DeliveryReport got;
  int calls = 0;
  const uint64_t t = tracker.Open(5, [&](const DeliveryReport& r) {
    got = r;
    ++calls;
  });
  Tallies step;
  TallyOf(step, t).delivered = 2;
  TallyOf(step, t).retries = 3;
  tracker.Settle(step);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(tracker.CloseAll(), 3u);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(got.delivered, 2u);
  EXPECT_EQ(got.undelivered, 3u);
  EXPECT_EQ(got.retries, 3u);
}

// Delivered and dead-lettered records are the module's metrics (from the
// reports); the sink reports its retries, requests, errors and latency.
TEST(KinesisSinkMetricsTest, ReportsTheSinksOwnFamiliesOnly) {
  KinesisSinkMetrics m;
  RetryOutcome partial;
  partial.request = RequestOutcome::kPartial;
  partial.delivered = 3;
  partial.retry.resize(2);
  partial.record_errors["InternalFailure"] = 2;
  m.Count(partial);
  RetryOutcome lost;
  lost.request = RequestOutcome::kTransportError;
  lost.request_error = "Timeout";
  lost.retry.resize(4);
  lost.newly_possible_duplicates = 4;
  m.Count(lost);
  ++m.counters().requests_sent;
  ++m.counters().requests_sent;
  m.ObserveRequest(absl::Milliseconds(20));
  streamgate::testing::RecordingWriter out;
  m.Collect(out);
  EXPECT_EQ(out.Families(),
            (std::vector<std::string>{
                "streamgate_kinesis_possible_duplicates_total",
                "streamgate_kinesis_requests_sent_total",
                "streamgate_kinesis_requests_total",
                "streamgate_kinesis_errors_total",
                "streamgate_kinesis_request_duration_seconds"}));
  std::map<std::string, double> values;
  for (const auto& s : out.samples()) values[s.name + "{" + s.labels + "}"] = s.value;
  EXPECT_EQ(m.counters().records_retried.load(), 6u);  // in reports, not here
  EXPECT_EQ(values["streamgate_kinesis_possible_duplicates_total{}"], 4);
  EXPECT_EQ(values["streamgate_kinesis_requests_sent_total{}"], 2);
  EXPECT_EQ(values["streamgate_kinesis_requests_total{outcome=partial}"], 1);
  EXPECT_EQ(values["streamgate_kinesis_requests_total{outcome=transport_error}"], 1);
  EXPECT_EQ(values["streamgate_kinesis_requests_total{outcome=ok}"], 0);
  EXPECT_EQ(values["streamgate_kinesis_errors_total{code=InternalFailure}"], 2);
  EXPECT_EQ(values["streamgate_kinesis_errors_total{code=Timeout}"], 1);
  EXPECT_EQ(values["streamgate_kinesis_request_duration_seconds{}"], 1);
}

}  // namespace
}  // namespace streamgate::kinesis
