// KinesisSink through the project's fault-injecting proxy in front of a real
// kinesalite: per-record and whole-request failures, resets and lost
// answers. Every record must land exactly once (or, when an answer was
// lost, at least once with every extra copy counted as a possible
// duplicate), and the reports must say delivered.
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "sinks/kinesis/kinesis_sink.h"
#include "tests/sinks/kinesis/sink_test_support.h"

namespace streamgate::kinesis {
namespace {

using testing::Context;
using testing::MakeRecords;

struct FaultCase {
  const char* name;
  std::vector<std::string> plan;
  const char* error_code;  // expected in ErrorsByCode
  bool duplicates_allowed;
};

void PrintTo(const FaultCase& c, std::ostream* os) { *os << c.name; }

class KinesisSinkFaultTest : public testing::KinesisSinkTest,
                             public ::testing::WithParamInterface<FaultCase> {};

TEST_P(KinesisSinkFaultTest, EveryRecordLandsExactlyOnce) {
  const FaultCase& fc = GetParam();
  std::string stream = NewStream();
  std::vector<std::string> quoted;
  for (const auto& s : fc.plan) quoted.push_back(absl::StrCat("\"", s, "\""));
  auto proxy = testing::StartFaultProxy(
      kinesalite_->port(), absl::StrCat("[", absl::StrJoin(quoted, ","), "]"));
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  OutBatch records = MakeRecords(400, fc.name);
  KinesisConfig config = Config(stream, (*proxy)->url());
  // Only the dropped answers should time out, and quickly.
  if (fc.duplicates_allowed) config.request_timeout = absl::Milliseconds(1500);
  KinesisSink sink(config, Context(absl::StrCat("m-", fc.name)),
                   testing::TestCredentials());
  const DeliveryReport total = Run(sink, records);
  auto seen = ReadBack(stream);
  const auto& c = sink.counters();
  EXPECT_EQ(total.delivered, records.size());
  EXPECT_EQ(total.dead_lettered, 0u);
  EXPECT_GT(total.retries, 0u);
  EXPECT_EQ(total.retries, c.records_retried.load());
  EXPECT_GE(c.ErrorsByCode().count(fc.error_code), 1u) << fc.error_code;
  if (!fc.duplicates_allowed) {
    ExpectExactlyOnce(records, seen);
    return;
  }
  // Forwarded and unanswered: each record at least once, and every extra
  // copy counted by the sink.
  size_t extra = 0;
  for (const auto& r : records) {
    auto it = seen.find({r.partition_key, *r.data});
    ASSERT_NE(it, seen.end());
    extra += it->second - 1;
  }
  size_t total_seen = 0;
  for (const auto& [k, n] : seen) total_seen += n;
  EXPECT_EQ(total_seen, records.size() + extra);
  EXPECT_GT(extra, 0u);
  EXPECT_EQ(extra, c.possible_duplicates.load());
}

INSTANTIATE_TEST_SUITE_P(
    Faults, KinesisSinkFaultTest,
    ::testing::Values(
        FaultCase{"PerRecordThroughput",
                  {"fail:ProvisionedThroughputExceededException", "pass",
                   "fail:ProvisionedThroughputExceededException"},
                  "ProvisionedThroughputExceededException", false},
        FaultCase{"PerRecordInternalFailure",
                  {"fail:InternalFailure", "fail:InternalFailure", "fail:InternalFailure"},
                  "InternalFailure", false},
        FaultCase{"WholeRequestThrottling", {"throttle", "throttle", "pass", "throttle"},
                  "ProvisionedThroughputExceededException", false},
        FaultCase{"Http500", {"500", "500"}, "InternalFailure", false},
        FaultCase{"Http503", {"503", "pass", "503"}, "HTTP 503", false},
        FaultCase{"ConnectionReset", {"reset", "pass", "reset"}, "ConnectionReset", false},
        FaultCase{"ForwardThenDropAnswer", {"drop", "pass", "drop"}, "Timeout", true}),
    [](const ::testing::TestParamInfo<FaultCase>& info) { return info.param.name; });

}  // namespace
}  // namespace streamgate::kinesis
