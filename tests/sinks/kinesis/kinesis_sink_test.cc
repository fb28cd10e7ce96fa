// KinesisSink end to end against a real kinesalite (started here on a free
// loopback port), directly and through the project's fault-injecting proxy:
// every record must land exactly once, byte for byte, with its partition key,
// on the shard whose hash range holds MD5(key); non-retryable errors and
// oversized records must land in the dead-letter file.
#include "sinks/kinesis/kinesis_sink.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "gateway/common/dead_letter_file.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tests/sinks/kinesis/kinesis_test_support.h"

namespace streamgate::kinesis {
namespace {

using testing::KinesisTestClient;
using testing::PortProcess;

unsigned __int128 ParseU128(const std::string& s) {
  unsigned __int128 v = 0;
  for (char c : s) v = v * 10 + static_cast<unsigned>(c - '0');
  return v;
}

unsigned __int128 Md5Key(const std::string& key) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), md, &len, EVP_md5(), nullptr);
  unsigned __int128 v = 0;
  for (unsigned i = 0; i < 16; ++i) v = (v << 8) | md[i];
  return v;
}

// Records like the gateway's: device-id keys, JSON-ish and binary data of
// varied sizes.
OutBatch MakeRecords(int n, const std::string& tag) {
  std::mt19937 rng(42);
  OutBatch out;
  for (int i = 0; i < n; ++i) {
    std::string data = absl::StrCat("{\"tag\":\"", tag, "\",\"seq\":", i, ",\"pad\":\"");
    data.append(rng() % 200, 'a' + i % 26);
    data.append("\"}");
    if (i % 7 == 0) data.append(std::string("\x00\xff\x01\x80", 4));
    OutRecord r;
    r.data = std::make_shared<const std::string>(std::move(data));
    r.partition_key = std::to_string(1000 + i % 50);
    out.push_back(std::move(r));
  }
  return out;
}

class KinesisSinkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto k = testing::StartKinesalite();
    ASSERT_TRUE(k.ok()) << k.status();
    kinesalite_ = k->release();
  }
  void SetUp() override {
    ASSERT_NE(kinesalite_, nullptr) << "kinesalite did not start";
  }
  static void TearDownTestSuite() {
    delete kinesalite_;
    kinesalite_ = nullptr;
  }

  std::string NewStream(int shards = 4) {
    std::string name = absl::StrCat(
        "s", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    for (char& c : name) {
      if (!isalnum(static_cast<unsigned char>(c))) c = '-';
    }
    KinesisTestClient client(kinesalite_->url());
    absl::Status s = client.CreateStream(name, shards);
    EXPECT_TRUE(s.ok()) << s;
    return name;
  }

  KinesisConfig Config(const std::string& stream, const std::string& endpoint) {
    KinesisConfig c;
    c.region = "us-east-1";
    c.stream_name = stream;
    c.endpoint = endpoint;
    c.linger = absl::Milliseconds(5);
    c.max_records = 100;
    c.max_in_flight = 4;
    c.initial_backoff = absl::Milliseconds(20);
    c.max_backoff = absl::Milliseconds(200);
    c.record_ttl = absl::Seconds(60);
    // Generous: a spurious timeout on a loaded machine would duplicate.
    c.request_timeout = absl::Seconds(10);
    c.connect_timeout = absl::Seconds(2);
    c.dead_letter_path = absl::StrCat(::testing::TempDir(), "/kinesis-dl-", stream,
                                      "/dead.jsonl");
    std::remove(c.dead_letter_path.c_str());
    return c;
  }

  static CredentialsFactory TestCredentials() {
    return []() -> absl::StatusOr<std::unique_ptr<aws::CredentialsProvider>> {
      return std::make_unique<testing::StaticCredentials>();
    };
  }

  // Writes `records` in batches of 100, flushes and closes.
  void Run(KinesisSink& sink, const OutBatch& records) {
    ASSERT_TRUE(sink.Start().ok());
    for (size_t i = 0; i < records.size(); i += 100) {
      OutBatch b(records.begin() + i,
                 records.begin() + std::min(records.size(), i + 100));
      sink.Write(std::move(b));
    }
    absl::Status flushed = sink.Flush(absl::Now() + absl::Seconds(60));
    EXPECT_TRUE(flushed.ok()) << flushed;
    sink.Close();
  }

  // Reads the stream back; checks shard placement and returns how often
  // each (key, data) was stored.
  std::map<std::pair<std::string, std::string>, int> ReadBack(const std::string& stream) {
    KinesisTestClient client(kinesalite_->url());
    std::vector<ShardInfo> shards;
    auto all = client.ReadAll(stream, &shards);
    EXPECT_TRUE(all.ok()) << all.status();
    EXPECT_EQ(shards.size(), 4u);
    std::map<std::string, ShardInfo> by_id;
    for (const auto& s : shards) by_id[s.shard_id] = s;
    std::map<std::pair<std::string, std::string>, int> seen;
    if (!all.ok()) return seen;
    for (const StreamRecord& r : *all) {
      const ShardInfo& s = by_id[r.shard_id];
      unsigned __int128 h = Md5Key(r.partition_key);
      EXPECT_TRUE(h >= ParseU128(s.starting_hash_key) && h <= ParseU128(s.ending_hash_key))
          << "key " << r.partition_key << " on " << r.shard_id;
      ++seen[{r.partition_key, r.data}];
    }
    return seen;
  }

  void ExpectExactlyOnce(const OutBatch& records,
                         const std::map<std::pair<std::string, std::string>, int>& seen) {
    size_t total = 0;
    for (const auto& [k, n] : seen) total += n;
    EXPECT_EQ(total, records.size());
    for (const OutRecord& r : records) {
      auto it = seen.find({r.partition_key, *r.data});
      ASSERT_NE(it, seen.end()) << "missing record with key " << r.partition_key;
      EXPECT_EQ(it->second, 1) << "key " << r.partition_key;
    }
  }

  static std::vector<std::string> ReadLines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  static PortProcess* kinesalite_;
};

PortProcess* KinesisSinkTest::kinesalite_ = nullptr;

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
  KinesisSink sink(config, SinkContext{"m-plain"}, TestCredentials());
  Run(sink, records);
  ExpectExactlyOnce(records, ReadBack(stream));
  const auto& c = sink.counters();
  EXPECT_EQ(c.records_accepted.load(), records.size());
  EXPECT_EQ(c.records_delivered.load(), records.size());
  EXPECT_EQ(c.records_retried.load(), 0u);
  EXPECT_EQ(c.records_dead_lettered.load(), 0u);
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
  KinesisSink sink(config, SinkContext{"m-size"}, TestCredentials());
  OutBatch all = records;
  all.push_back(big);
  Run(sink, all);
  ExpectExactlyOnce(records, ReadBack(stream));
  auto lines = ReadLines(config.dead_letter_path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("\"module\":\"m-size\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("\"partitionKey\":\"123456\""), std::string::npos);
  EXPECT_NE(lines[0].find(absl::StrCat("\"data\":\"", absl::Base64Escape(*big.data), "\"")),
            std::string::npos);
  EXPECT_NE(lines[0].find("over sink.max_record_bytes 1000"), std::string::npos);
  EXPECT_NE(lines[0].find("\"attempts\":0"), std::string::npos);
  EXPECT_EQ(sink.counters().records_dead_lettered.load(), 1u);
}

TEST_F(KinesisSinkTest, MissingStreamGoesToDeadLetterAtOnce) {
  KinesisConfig config = Config("no-such-stream", kinesalite_->url());
  OutBatch records = MakeRecords(30, "missing");
  KinesisSink sink(config, SinkContext{"m-missing"}, TestCredentials());
  Run(sink, records);
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
  const auto& c = sink.counters();
  EXPECT_EQ(c.records_dead_lettered.load(), records.size());
  EXPECT_EQ(c.records_retried.load(), 0u);
  EXPECT_GE(c.requests_fatal_failure.load(), 1u);
  EXPECT_EQ(c.ErrorsByCode().count("ResourceNotFoundException"), 1u);
}

TEST_F(KinesisSinkTest, WriteBlocksWhileTooMuchIsPending) {
  std::string stream = NewStream();
  // The first request is forwarded and its answer dropped: nothing can be
  // delivered until it times out.
  auto proxy = testing::StartFaultProxy(kinesalite_->port(), "[\"drop\"]");
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  KinesisConfig config = Config(stream, (*proxy)->url());
  config.request_timeout = absl::Milliseconds(1000);
  config.max_in_flight = 1;
  config.max_records = 10;  // bound: 10 * (1 + 2) * 2 = 60 pending records
  KinesisSink sink(config, SinkContext{"m-bp"}, TestCredentials());
  ASSERT_TRUE(sink.Start().ok());
  OutBatch records = MakeRecords(120, "bp");
  sink.Write(OutBatch(records.begin(), records.begin() + 60));
  EXPECT_EQ(sink.counters().records_delivered.load(), 0u);
  // Over the bound: this Write returns only once records finished.
  sink.Write(OutBatch(records.begin() + 60, records.end()));
  EXPECT_GT(sink.counters().records_delivered.load(), 0u);
  EXPECT_TRUE(sink.Flush(absl::Now() + absl::Seconds(60)).ok());
  sink.Close();
  EXPECT_EQ(sink.counters().records_delivered.load(), records.size());
  EXPECT_EQ(sink.counters().possible_duplicates.load(), 10u);
}

// Credentials that never come: records are retried (nothing is sent) until
// their TTL, then dead-lettered with the reason.
class FailingCredentials : public aws::CredentialsProvider {
 public:
  absl::StatusOr<aws::Credentials> GetCredentials() override {
    return absl::UnavailableError("no credentials provider answered (test)");
  }
};

TEST_F(KinesisSinkTest, MissingCredentialsEndInDeadLetterAfterTtl) {
  KinesisConfig config = Config("creds-stream", kinesalite_->url());
  config.record_ttl = absl::Seconds(1);
  KinesisSink sink(config, SinkContext{"m-creds"}, [] {
    return absl::StatusOr<std::unique_ptr<aws::CredentialsProvider>>(
        std::make_unique<FailingCredentials>());
  });
  Run(sink, MakeRecords(5, "creds"));
  auto lines = ReadLines(config.dead_letter_path);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_NE(lines[0].find("record_ttl_s exceeded"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("CredentialsError: no credentials provider answered"),
            std::string::npos);
  EXPECT_EQ(sink.counters().requests_sent.load(), 0u);
  EXPECT_EQ(sink.counters().records_dead_lettered.load(), 5u);
}

TEST_F(KinesisSinkTest, StartFailsWhenCredentialsCannotBeBuilt) {
  KinesisSink sink(Config("x", kinesalite_->url()), SinkContext{"m-nocreds"}, [] {
    return absl::StatusOr<std::unique_ptr<aws::CredentialsProvider>>(
        absl::InvalidArgumentError("sts_endpoint: bad"));
  });
  absl::Status s = sink.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("module m-nocreds"), absl::string_view::npos) << s;
}

// A port nothing listens on: every request fails to connect and is retried.
// (Bound to an ephemeral port, then closed: nothing takes it back soon.)
std::string DeadEndpoint() {
  int port = 1;
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) close(fd);
  return absl::StrCat("http://127.0.0.1:", port);
}

// What the done callbacks of Deliver saw.
struct DoneLog {
  absl::Mutex mu;
  std::map<int, int> calls ABSL_GUARDED_BY(mu);  // batch -> times done ran
  // Records of the batches done so far, and whether the sink had counted at
  // least that many as settled each time (done must not run early).
  size_t settled ABSL_GUARDED_BY(mu) = 0;
  bool early ABSL_GUARDED_BY(mu) = false;
};

Sink::BatchDone Track(DoneLog& log, const KinesisSink& sink, int batch,
                      size_t size) {
  return [&log, &sink, batch, size] {
    absl::MutexLock lock(&log.mu);
    ++log.calls[batch];
    log.settled += size;
    const auto& c = sink.counters();
    if (c.records_delivered.load() + c.records_dead_lettered.load() < log.settled) {
      log.early = true;
    }
  };
}

TEST_F(KinesisSinkTest, DeliverRunsDoneOnceWhenEveryRecordOfTheBatchSettled) {
  std::string stream = NewStream();
  // Failures force retries, so records of one batch settle in several
  // requests.
  auto proxy = testing::StartFaultProxy(
      kinesalite_->port(),
      "[\"fail:InternalFailure\",\"500\",\"pass\",\"throttle\"]");
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  KinesisConfig config = Config(stream, (*proxy)->url());
  KinesisSink sink(config, SinkContext{"m-deliver"}, TestCredentials());
  ASSERT_TRUE(sink.Start().ok());
  OutBatch records = MakeRecords(700, "deliver");
  // One record Kinesis would refuse: dead-lettered at once, still settles
  // its batch.
  OutRecord too_big;
  too_big.data = std::make_shared<const std::string>(std::string(1100000, 'x'));
  too_big.partition_key = "big";
  DoneLog log;
  const size_t kBatch = 70;
  int batches = 0;
  for (size_t i = 0; i < records.size(); i += kBatch, ++batches) {
    OutBatch b(records.begin() + i,
               records.begin() + std::min(records.size(), i + kBatch));
    if (batches == 3) b.push_back(too_big);
    const size_t n = b.size();
    sink.Deliver(std::move(b), Track(log, sink, batches, n));
  }
  sink.Deliver(OutBatch(), Track(log, sink, batches, 0));  // empty: done at once
  ++batches;
  ASSERT_TRUE(sink.Flush(absl::Now() + absl::Seconds(60)).ok());
  sink.Close();
  {
    absl::MutexLock lock(&log.mu);
    EXPECT_FALSE(log.early);
    ASSERT_EQ(log.calls.size(), static_cast<size_t>(batches));
    for (const auto& [batch, n] : log.calls) EXPECT_EQ(n, 1) << "batch " << batch;
    EXPECT_EQ(log.settled, records.size() + 1);
  }
  ExpectExactlyOnce(records, ReadBack(stream));
  EXPECT_EQ(sink.counters().records_dead_lettered.load(), 1u);
  EXPECT_EQ(ReadLines(config.dead_letter_path).size(), 1u);
  EXPECT_GT(sink.counters().records_retried.load(), 0u);
}

// With a spool behind it, what Kinesis never stored stays unsettled at
// Close (the spool replays it) instead of being dead-lettered.
TEST_F(KinesisSinkTest, DurableQueueKeepsUndeliveredBatchesAtClose) {
  KinesisConfig config = Config("durable-stream", DeadEndpoint());
  KinesisSink sink(config, SinkContext{"m-durable", /*durable_queue=*/true},
                   TestCredentials());
  ASSERT_TRUE(sink.Start().ok());
  DoneLog log;
  sink.Deliver(MakeRecords(30, "a"), Track(log, sink, 0, 30));
  sink.Deliver(MakeRecords(30, "b"), Track(log, sink, 1, 30));
  absl::Status flushed = sink.Flush(absl::Now() + absl::Milliseconds(500));
  EXPECT_EQ(flushed.code(), absl::StatusCode::kDeadlineExceeded) << flushed;
  sink.Close();
  absl::MutexLock lock(&log.mu);
  EXPECT_TRUE(log.calls.empty());
  EXPECT_EQ(sink.counters().records_dead_lettered.load(), 0u);
  EXPECT_TRUE(ReadLines(config.dead_letter_path).empty());
  EXPECT_GT(sink.counters().records_retried.load(), 0u);
}

// With a memory queue the same records are dead-lettered at Close, and
// their batches settle.
TEST_F(KinesisSinkTest, MemoryQueueDeadLettersUndeliveredBatchesAtClose) {
  KinesisConfig config = Config("memory-stream", DeadEndpoint());
  KinesisSink sink(config, SinkContext{"m-memory"}, TestCredentials());
  ASSERT_TRUE(sink.Start().ok());
  DoneLog log;
  sink.Deliver(MakeRecords(30, "a"), Track(log, sink, 0, 30));
  sink.Deliver(MakeRecords(30, "b"), Track(log, sink, 1, 30));
  EXPECT_FALSE(sink.Flush(absl::Now() + absl::Milliseconds(500)).ok());
  sink.Close();
  absl::MutexLock lock(&log.mu);
  EXPECT_EQ(log.calls.size(), 2u);
  EXPECT_FALSE(log.early);
  auto lines = ReadLines(config.dead_letter_path);
  ASSERT_EQ(lines.size(), 60u);
  EXPECT_NE(lines[0].find("sink closed before delivery"), std::string::npos)
      << lines[0];
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
  KinesisSink sink(config, SinkContext{"m-shared", false, &shared},
                   TestCredentials());
  Run(sink, MakeRecords(12, "shared"));
  auto lines = ReadLines(options.path);
  ASSERT_EQ(lines.size(), 12u);
  EXPECT_NE(lines[0].find("\"module\":\"m-shared\""), std::string::npos);
  EXPECT_NE(lines[0].find("ResourceNotFoundException"), std::string::npos);
}

struct FaultCase {
  const char* name;
  std::vector<std::string> plan;
  const char* error_code;  // expected in ErrorsByCode
  bool duplicates_allowed;
};

void PrintTo(const FaultCase& c, std::ostream* os) { *os << c.name; }

class KinesisSinkFaultTest : public KinesisSinkTest,
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
  KinesisSink sink(config, SinkContext{absl::StrCat("m-", fc.name)}, TestCredentials());
  Run(sink, records);
  auto seen = ReadBack(stream);
  const auto& c = sink.counters();
  EXPECT_EQ(c.records_delivered.load(), records.size());
  EXPECT_EQ(c.records_dead_lettered.load(), 0u);
  EXPECT_GT(c.records_retried.load(), 0u);
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
  size_t total = 0;
  for (const auto& [k, n] : seen) total += n;
  EXPECT_EQ(total, records.size() + extra);
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
