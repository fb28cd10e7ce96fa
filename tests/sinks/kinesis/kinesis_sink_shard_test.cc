// KinesisSink's shard awareness against a real kinesalite: the shard map
// from ListShards (per-shard metrics match where kinesalite stored each
// record), the record size check with DescribeStreamSummary at Start, and
// per-key order through throttling, failures, resets and lost answers.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "sinks/kinesis/kinesis_sink.h"
#include "tests/sinks/kinesis/sink_test_support.h"
#include "tests/sinks/recording_metrics.h"

namespace streamgate::kinesis {
namespace {

using testing::Context;
using testing::KinesisTestClient;
using testing::MakeRecords;

double Sample(const streamgate::testing::RecordingWriter& w, const std::string& name,
              const std::string& labels, bool* found) {
  for (const auto& s : w.samples()) {
    if (s.name == name && s.labels == labels) {
      *found = true;
      return s.value;
    }
  }
  *found = false;
  return 0;
}

class KinesisSinkShardTest : public testing::KinesisSinkTest {};

TEST_F(KinesisSinkShardTest, PerShardCountsMatchWhereKinesisStoredRecords) {
  const std::string stream = NewStream(4);
  KinesisSink sink(Config(stream, kinesalite_->url()), Context("m-shards"),
                   testing::TestCredentials());
  OutBatch records = MakeRecords(300, "shards");
  const DeliveryReport total = Run(sink, records);
  EXPECT_EQ(total.delivered, records.size());

  KinesisTestClient client(kinesalite_->url());
  std::vector<ShardInfo> shards;
  auto all = client.ReadAll(stream, &shards);
  ASSERT_TRUE(all.ok()) << all.status();
  std::map<std::string, int> stored;
  for (const StreamRecord& r : *all) ++stored[r.shard_id];

  streamgate::testing::RecordingWriter w;
  sink.CollectMetrics(w);
  bool found = false;
  EXPECT_EQ(Sample(w, "streamgate_kinesis_shard_map_shards", "", &found), 4);
  EXPECT_TRUE(found);
  Sample(w, "streamgate_kinesis_shard_map_age_seconds", "", &found);
  EXPECT_TRUE(found);
  EXPECT_EQ(Sample(w, "streamgate_kinesis_reshards_total", "", &found), 0);
  ASSERT_EQ(shards.size(), 4u);
  for (const ShardInfo& s : shards) {
    const std::string label = "shard=" + s.shard_id;
    // No retries in a clean run: each attempt is a stored record, counted
    // on the shard the sink computed from MD5(key) and the map.
    EXPECT_EQ(Sample(w, "streamgate_kinesis_shard_records_sent_total", label, &found),
              stored[s.shard_id])
        << s.shard_id;
    EXPECT_TRUE(found) << s.shard_id;
    EXPECT_EQ(
        Sample(w, "streamgate_kinesis_shard_records_throttled_total", label, &found), 0);
    EXPECT_EQ(
        Sample(w, "streamgate_kinesis_shard_allowed_records_per_second", label, &found),
        1000);
    EXPECT_EQ(
        Sample(w, "streamgate_kinesis_shard_allowed_bytes_per_second", label, &found),
        1048576);
    EXPECT_GT(Sample(w, "streamgate_kinesis_shard_bytes_sent_total", label, &found), 0);
  }
}

TEST_F(KinesisSinkShardTest, StartRefusesRecordsAboveTheStreamsLimit) {
  const std::string stream = NewStream(1);
  KinesisConfig config = Config(stream, kinesalite_->url());
  // kinesalite's streams have not opted in to larger records: 1 MiB.
  config.max_record_bytes = 2 * 1048576;
  KinesisSink sink(config, Context("m-big"), testing::TestCredentials());
  absl::Status s = sink.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("module m-big"), absl::string_view::npos) << s;
  EXPECT_NE(s.message().find("sink.max_record_bytes: 2097152 is above"),
            absl::string_view::npos)
      << s;
  EXPECT_NE(s.message().find("1048576 bytes"), absl::string_view::npos) << s;

  config.max_record_bytes = 1048576;
  KinesisSink fits(config, Context("m-fits"), testing::TestCredentials());
  EXPECT_TRUE(fits.Start().ok());
  fits.Close();
}

// A split while records flow: answers naming shards the map does not know
// make the sink reload its map at once (the regular refresh is an hour
// away); the new map drops the closed parent, the reshard is counted and
// logged, every record is delivered, and the records sent after it are
// counted on the children.
TEST_F(KinesisSinkShardTest, SplitShardIsSeenAndDeliveryGoesOn) {
  const std::string stream = NewStream(1);
  KinesisConfig config = Config(stream, kinesalite_->url());
  config.shard_refresh = absl::Hours(1);
  KinesisSink sink(config, Context("m-split"), testing::TestCredentials());
  ASSERT_TRUE(sink.Start().ok());
  OutBatch first = MakeRecords(100, "before");
  testing::ReportLog log;
  sink.Deliver(first, log.Track(0, first.size()));
  ASSERT_TRUE(sink.Flush(absl::Now() + absl::Seconds(60)).ok());

  KinesisTestClient client(kinesalite_->url());
  auto split = client.api().Call(
      "SplitShard",
      absl::StrCat(R"({"StreamName":")", stream,
                   R"(","ShardToSplit":"shardId-000000000000",)",
                   R"("NewStartingHashKey":"170141183460469231731687303715884105728"})"));
  ASSERT_TRUE(split.ok()) << split.status();
  // kinesalite applies the split a moment later: wait (bounded) until the
  // stream is ACTIVE again, so the next records land on the children.
  for (int i = 0; i < 300; ++i) {
    auto summary = client.api().Call("DescribeStreamSummary",
                                     absl::StrCat(R"({"StreamName":")", stream, R"("})"));
    ASSERT_TRUE(summary.ok()) << summary.status();
    if (summary->find(R"("StreamStatus":"ACTIVE")") != std::string::npos) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  // Records now land on the children: their answers tell the sink.
  OutBatch between = MakeRecords(20, "between");
  sink.Deliver(between, log.Track(2, between.size()));
  ASSERT_TRUE(sink.Flush(absl::Now() + absl::Seconds(60)).ok());
  bool found = false;
  for (int i = 0; i < 300; ++i) {  // a bounded wait for the reload
    streamgate::testing::RecordingWriter w;
    sink.CollectMetrics(w);
    if (Sample(w, "streamgate_kinesis_reshards_total", "", &found) == 1) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  streamgate::testing::RecordingWriter w;
  sink.CollectMetrics(w);
  ASSERT_EQ(Sample(w, "streamgate_kinesis_reshards_total", "", &found), 1);
  EXPECT_EQ(Sample(w, "streamgate_kinesis_shard_map_shards", "", &found), 2);

  OutBatch second = MakeRecords(100, "after");
  sink.Deliver(second, log.Track(1, second.size()));
  ASSERT_TRUE(sink.Flush(absl::Now() + absl::Seconds(60)).ok());
  sink.Close();
  EXPECT_EQ(log.total().delivered, 220u);

  std::vector<ShardInfo> shards;
  auto all = client.ReadAll(stream, &shards);
  ASSERT_TRUE(all.ok()) << all.status();
  std::map<std::string, int> stored;
  for (const StreamRecord& r : *all) ++stored[r.shard_id];
  EXPECT_EQ(stored["shardId-000000000000"], 100);  // the parent, before
  streamgate::testing::RecordingWriter after;
  sink.CollectMetrics(after);
  // The children's counts start with the new map: the 20 records sent with
  // the old one were counted on the parent.
  int sent_on_children = 0;
  for (const char* child : {"shardId-000000000001", "shardId-000000000002"}) {
    sent_on_children += Sample(after, "streamgate_kinesis_shard_records_sent_total",
                               std::string("shard=") + child, &found);
    EXPECT_TRUE(found) << child;
  }
  EXPECT_EQ(sent_on_children, 100);
  EXPECT_EQ(stored["shardId-000000000001"] + stored["shardId-000000000002"], 120);
  // The closed parent has no series any more.
  Sample(after, "streamgate_kinesis_shard_records_sent_total",
         "shard=shardId-000000000000", &found);
  EXPECT_FALSE(found);
}

// Records of a few keys through every kind of fault, several requests in
// flight: each key's records are stored in the order they were delivered.
// A lost answer may store a record twice, but the copies are adjacent:
// nothing of its key was sent while it was unsettled.
TEST_F(KinesisSinkShardTest, PerKeyOrderSurvivesFaults) {
  const std::string stream = NewStream(2);
  const std::vector<std::string> plan = {"fail:ProvisionedThroughputExceededException",
                                         "throttle",
                                         "500",
                                         "reset",
                                         "drop",
                                         "fail:InternalFailure",
                                         "pass",
                                         "drop",
                                         "fail:InternalFailure"};
  std::vector<std::string> quoted;
  for (const auto& p : plan) quoted.push_back(absl::StrCat("\"", p, "\""));
  auto proxy = testing::StartFaultProxy(
      kinesalite_->port(), absl::StrCat("[", absl::StrJoin(quoted, ","), "]"));
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  KinesisConfig config = Config(stream, (*proxy)->url());
  config.request_timeout = absl::Milliseconds(1500);
  KinesisSink sink(config, Context("m-order"), testing::TestCredentials());
  constexpr int kKeys = 6;
  constexpr int kRecords = 240;
  OutBatch records;
  for (int i = 0; i < kRecords; ++i) {
    OutRecord r;
    r.partition_key = absl::StrCat("dev-", i % kKeys);
    r.data = std::make_shared<const std::string>(absl::StrCat(i));
    records.push_back(std::move(r));
  }
  const DeliveryReport total = Run(sink, records);
  EXPECT_EQ(total.delivered, records.size());
  EXPECT_GT(total.retries, 0u);

  KinesisTestClient client(kinesalite_->url());
  auto all = client.ReadAll(stream, nullptr);
  ASSERT_TRUE(all.ok()) << all.status();
  std::map<std::string, std::vector<int>> by_key;  // in stored order
  for (const StreamRecord& r : *all) {
    std::vector<int>& seq = by_key[r.partition_key];
    const int v = std::stoi(r.data);
    if (!seq.empty() && seq.back() == v) continue;  // a lost answer's copy
    seq.push_back(v);
  }
  ASSERT_EQ(by_key.size(), static_cast<size_t>(kKeys));
  for (const auto& [key, seq] : by_key) {
    std::vector<int> expected;
    for (int i = key.back() - '0'; i < kRecords; i += kKeys) expected.push_back(i);
    EXPECT_EQ(seq, expected) << key;
  }
}

}  // namespace
}  // namespace streamgate::kinesis
