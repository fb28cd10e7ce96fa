// The Kinesis sink's `aggregation:` section: off by default at the KPL's
// 50 KiB, sizes with suffixes, and refusals naming the field and line
// (unknown keys, sizes below 64 bytes or above sink.max_record_bytes).
#include "gateway/api/config_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sinks/kinesis/config.h"
#include "yaml-cpp/yaml.h"

namespace streamgate {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<KinesisConfig> Parse(const std::string& extra) {
  return ParseKinesisConfig(ConfigReader(
      YAML::Load("type: kinesis\nregion: eu-west-1\nstream_name: s\n" + extra),
      "sink"));
}

TEST(AggregationConfigTest, OffByDefaultAtTheKplSize) {
  auto c = Parse("");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->aggregation_enabled);
  EXPECT_EQ(c->aggregation_max_bytes, 51200u);
}

TEST(AggregationConfigTest, ReadsEnabledAndMaxBytes) {
  auto c = Parse("aggregation: {enabled: true, max_bytes: 100KiB}\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->aggregation_enabled);
  EXPECT_EQ(c->aggregation_max_bytes, 102400u);
  auto only_enabled = Parse("aggregation:\n  enabled: yes\n");
  ASSERT_TRUE(only_enabled.ok()) << only_enabled.status();
  EXPECT_TRUE(only_enabled->aggregation_enabled);
  EXPECT_EQ(only_enabled->aggregation_max_bytes, 51200u);
}

TEST(AggregationConfigTest, RefusesUnknownKeys) {
  auto c = Parse("aggregation:\n  enabled: true\n  max_records: 10\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("sink.aggregation"));
  EXPECT_THAT(c.status().message(), HasSubstr("max_records"));
}

TEST(AggregationConfigTest, MaxBytesWithinOneKinesisRecord) {
  auto small = Parse("aggregation: {enabled: true, max_bytes: 63}\n");
  ASSERT_FALSE(small.ok());
  EXPECT_THAT(small.status().message(),
              HasSubstr("sink.aggregation.max_bytes (line 4)"));
  // Above the record limit: Kinesis would refuse every full aggregate.
  auto big = Parse(
      "max_record_bytes: 40000\n"
      "aggregation: {enabled: true, max_bytes: 50000}\n");
  ASSERT_FALSE(big.ok());
  EXPECT_THAT(big.status().message(), HasSubstr("sink.aggregation.max_bytes"));
  EXPECT_TRUE(Parse("max_record_bytes: 40000\n"
                    "aggregation: {enabled: true, max_bytes: 40000}\n")
                  .ok());
}

TEST(AggregationConfigTest, MustBeAMap) {
  auto c = Parse("aggregation: true\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("sink.aggregation"));
}

}  // namespace
}  // namespace streamgate
