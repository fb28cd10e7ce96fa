// Kinesis sink config: defaults, limits, unknown keys and errors naming the
// field and line (integers and booleans in ConfigReader's wording, like
// every section); Create does no I/O.
#include "sinks/kinesis/config.h"

#include "gateway/api/config_reader.h"
#include "tests/sinks/test_logger.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace streamgate {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<KinesisConfig> Parse(const std::string& yaml) {
  return ParseKinesisConfig(ConfigReader(YAML::Load(yaml), "sink"));
}

TEST(KinesisConfigTest, DefaultsFromMinimalConfig) {
  auto c = Parse("type: kinesis\nregion: eu-west-1\nstream_name: events\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->endpoint, "https://kinesis.eu-west-1.amazonaws.com");
  EXPECT_EQ(c->max_record_bytes, 1048576u);
  EXPECT_EQ(c->max_records, 500u);
  EXPECT_EQ(c->max_request_bytes, 5u * 1048576u);
  EXPECT_EQ(c->linger, absl::Milliseconds(100));
  EXPECT_TRUE(c->verify_tls);
  EXPECT_TRUE(c->dead_letter_path.empty());
}

TEST(KinesisConfigTest, AllFields) {
  auto c = Parse(R"(type: kinesis
region: us-east-1
stream_name: s.1_x
endpoint: http://127.0.0.1:4567
role_arn: arn:aws:iam::123456789012:role/writer
external_id: ext-1
sts_endpoint: https://sts.us-east-1.amazonaws.com
max_record_bytes: 10485760
max_records: 100
max_request_bytes: 1000000
linger_ms: 5
max_in_flight: 4
initial_backoff_ms: 10
max_backoff_ms: 200
record_ttl_s: 30
dead_letter_path: /var/lib/sg/dead.jsonl
ca_file: /etc/ssl/ca.pem
verify_tls: false
request_timeout_ms: 2000
connect_timeout_ms: 500
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->endpoint, "http://127.0.0.1:4567");
  EXPECT_EQ(c->max_record_bytes, 10485760u);
  EXPECT_EQ(c->max_records, 100u);
  EXPECT_EQ(c->linger, absl::Milliseconds(5));
  EXPECT_EQ(c->max_in_flight, 4);
  EXPECT_EQ(c->record_ttl, absl::Seconds(30));
  EXPECT_FALSE(c->verify_tls);
  EXPECT_EQ(c->request_timeout, absl::Seconds(2));
  EXPECT_EQ(c->external_id, "ext-1");
}

TEST(KinesisConfigTest, ErrorsNameFieldAndLine) {
  struct Case {
    std::string yaml;
    std::string expected;
  };
  const Case cases[] = {
      {"region: eu-west-1\n", "sink.stream_name (line 1): must be set"},
      {"stream_name: s\n", "sink.region (line 1): must be set"},
      {"region: eu-west-1\nstream_name: s\nmax_records: 501\n",
       "sink.max_records (line 3): must be between 1 and 500, got 501"},
      {"region: eu-west-1\nstream_name: s\nmax_request_bytes: 10485761\n",
       "sink.max_request_bytes (line 3): must be between 2 and 10485760, got "
       "10485761"},
      {"region: eu-west-1\nstream_name: s\nordering: strict\n",
       "sink.ordering (line 3): must be per_key or none"},
      {"region: eu-west-1\nstream_name: s\nshard_refresh_s: 0\n",
       "sink.shard_refresh_s (line 3): must be between 1 and 86400, got 0"},
      {"region: eu-west-1\nstream_name: s\nrate_limit: {records_per_s: 0}\n",
       "sink.rate_limit.records_per_s (line 3): must be between 1 and"},
      {"region: eu-west-1\nstream_name: s\nrate_limit: {adaptive: maybe}\n",
       "sink.rate_limit.adaptive (line 3): must be true or false"},
      {"region: eu-west-1\nstream_name: s\nrate_limit: {burst: 1}\n",
       "sink.rate_limit.burst (line 3)"},
      {"region: eu-west-1\nstream_name: s\nmax_record_bytes: 10485761\n",
       "sink.max_record_bytes (line 3): must be between 2 and 10485760, got "
       "10485761"},
      {"region: eu-west-1\nstream_name: s\nlinger_ms: -1\n",
       "sink.linger_ms (line 3): must be between 0 and 60000, got -1"},
      {"region: eu-west-1\nstream_name: s\nlinger_ms: soon\n",
       "sink.linger_ms (line 3): must be an integer"},
      {"region: eu-west-1\nstream_name: s\nmax_in_flight: 0\n",
       "sink.max_in_flight (line 3): must be between 1 and 256, got 0"},
      {"region: eu-west-1\nstream_name: s\ndead_letter_path: ''\n",
       "sink.dead_letter_path (line 3): must not be empty"},
      {"region: eu-west-1\nstream_name: s\nendpoint: ftp://x\n",
       "sink.endpoint (line 3): must be an http:// or https:// URL"},
      {"region: eu-west-1\nstream_name: s\nbogus: 1\n",
       "sink.bogus (line 3): unknown field for a kinesis sink"},
      {"region: eu-west-1\nstream_name: s\nverify_tls: maybe\n",
       "sink.verify_tls (line 3): must be true or false"},
      {"region: eu-west-1\nstream_name: 'bad name'\n",
       "sink.stream_name (line 2): must be 1-128"},
      {"region: EU West\nstream_name: s\n",
       "sink.region (line 1): must look like an AWS region"},
      {"region: eu-west-1\nstream_name: s\nexternal_id: x\n",
       "sink.external_id (line 3): needs sink.role_arn"},
      {"region: eu-west-1\nstream_name: s\ninitial_backoff_ms: 500\nmax_backoff_ms: 100\n",
       "sink.max_backoff_ms (line 4): must be at least sink.initial_backoff_ms"},
      {"region: eu-west-1\nstream_name: [a, b]\n",
       "sink.stream_name (line 2): must be a string"},
      {"region: eu-west-1\nstream_name: s\nrole_arn: role/x\n",
       "sink.role_arn (line 3): must be an ARN"},
      {"- a\n- b\n", "sink (line 1): must be a map"},
  };
  for (const Case& c : cases) {
    auto r = Parse(c.yaml);
    ASSERT_FALSE(r.ok()) << c.yaml;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.expected)) << c.yaml;
  }
}

TEST(KinesisConfigTest, ShardAwareFields) {
  auto d = Parse("region: eu-west-1\nstream_name: s\n");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->ordering_per_key);
  EXPECT_EQ(d->shard_refresh, absl::Seconds(60));
  EXPECT_EQ(d->rate_records_per_s, 1000);
  EXPECT_EQ(d->rate_bytes_per_s, 1048576);
  EXPECT_TRUE(d->rate_adaptive);
  auto c = Parse(
      "region: eu-west-1\nstream_name: s\nordering: none\nshard_refresh_s: 5\n"
      "max_request_bytes: 10485760\n"
      "rate_limit:\n  records_per_s: 500\n  bytes_per_s: 512KiB\n  adaptive: "
      "false\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->ordering_per_key);
  EXPECT_EQ(c->shard_refresh, absl::Seconds(5));
  EXPECT_EQ(c->max_request_bytes, 10485760u);
  EXPECT_EQ(c->rate_records_per_s, 500);
  EXPECT_EQ(c->rate_bytes_per_s, 524288);
  EXPECT_FALSE(c->rate_adaptive);
}

TEST(KinesisConfigTest, BooleansReadLikeEverySection) {
  for (const char* word : {"off", "no", "False", "n"}) {
    auto c = Parse(std::string("region: eu-west-1\nstream_name: s\nverify_tls: ") + word);
    ASSERT_TRUE(c.ok()) << word << ": " << c.status();
    EXPECT_FALSE(c->verify_tls) << word;
  }
  auto c = Parse("region: eu-west-1\nstream_name: s\nverify_tls: on\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->verify_tls);
}

TEST(KinesisConfigTest, FactoryCreatesWithoutIo) {
  auto factory = MakeKinesisSinkFactory();
  EXPECT_EQ(factory->type(), "kinesis");
  // A dead-letter path under a directory that does not exist: Create must
  // not touch it (Start would create it).
  YAML::Node node = YAML::Load(
      "type: kinesis\nregion: eu-west-1\nstream_name: s\n"
      "dead_letter_path: /nonexistent-streamgate-test/dir/dead.jsonl\n");
  const SinkContext context{"m1", false, nullptr, streamgate::testing::TestLogger("m1")};
  auto sink = factory->Create(ConfigReader(node, "sink"), context);
  ASSERT_TRUE(sink.ok()) << sink.status();
  auto bad = factory->Create(
      ConfigReader(YAML::Load("type: kinesis\nregion: eu-west-1\n"), "sink"), context);
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace streamgate
