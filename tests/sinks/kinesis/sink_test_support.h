// Shared pieces of the KinesisSink tests: a fixture with one kinesalite per
// test suite, records like the gateway's, a sink config for tests, reading
// a stream back (checking each record's shard against MD5 of its key), and
// the DeliveryReports of Deliver calls. Test-only; one thread except
// ReportLog, which the sink's threads call.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "sinks/kinesis/kinesis_sink.h"
#include "tests/sinks/kinesis/kinesis_test_support.h"
#include "tests/sinks/test_logger.h"

namespace streamgate::kinesis::testing {

inline unsigned __int128 ParseU128(const std::string& s) {
  unsigned __int128 v = 0;
  for (char c : s) v = v * 10 + static_cast<unsigned>(c - '0');
  return v;
}

inline unsigned __int128 Md5Key(const std::string& key) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(key.data(), key.size(), md, &len, EVP_md5(), nullptr);
  unsigned __int128 v = 0;
  for (unsigned i = 0; i < 16; ++i) v = (v << 8) | md[i];
  return v;
}

// Records like the gateway's: device-id keys, JSON-ish and binary data of
// varied sizes.
inline OutBatch MakeRecords(int n, const std::string& tag) {
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

// A module's context: its id, queue kind and a logger of its own.
inline SinkContext Context(const std::string& module, bool durable = false,
                           DeadLetterFile* shared = nullptr) {
  return SinkContext{module, durable, shared, streamgate::testing::TestLogger(module)};
}

inline CredentialsFactory TestCredentials() {
  return []() -> absl::StatusOr<std::unique_ptr<aws::CredentialsProvider>> {
    return std::make_unique<StaticCredentials>();
  };
}

// Credentials that never come: requests cannot even be signed.
class FailingCredentials : public aws::CredentialsProvider {
 public:
  absl::StatusOr<aws::Credentials> GetCredentials() override {
    return absl::UnavailableError("no credentials provider answered (test)");
  }
};

inline CredentialsFactory NoCredentials() {
  return []() -> absl::StatusOr<std::unique_ptr<aws::CredentialsProvider>> {
    return std::make_unique<FailingCredentials>();
  };
}

// A port nothing listens on: every request fails to connect and is retried.
// (Bound to an ephemeral port, then closed: nothing takes it back soon.)
inline std::string DeadEndpoint() {
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

inline std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The DeliveryReports of Deliver calls, by batch number.
class ReportLog {
 public:
  // A `done` for batch `batch` of `size` records.
  DeliveryDone Track(int batch, size_t size) {
    return [this, batch, size](const DeliveryReport& r) {
      absl::MutexLock lock(&mu_);
      ++calls_[batch];
      reports_[batch] = r;
      // A report accounts for every record of its batch.
      if (r.delivered + r.dead_lettered + r.undelivered != size) wrong_size_ = true;
      total_.delivered += r.delivered;
      total_.dead_lettered += r.dead_lettered;
      total_.undelivered += r.undelivered;
      total_.retries += r.retries;
    };
  }

  std::map<int, int> calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  DeliveryReport report(int batch) {
    absl::MutexLock lock(&mu_);
    return reports_[batch];
  }
  DeliveryReport total() {
    absl::MutexLock lock(&mu_);
    return total_;
  }
  bool wrong_size() {
    absl::MutexLock lock(&mu_);
    return wrong_size_;
  }

 private:
  absl::Mutex mu_;
  std::map<int, int> calls_ ABSL_GUARDED_BY(mu_);  // batch -> times done ran
  std::map<int, DeliveryReport> reports_ ABSL_GUARDED_BY(mu_);
  DeliveryReport total_ ABSL_GUARDED_BY(mu_);
  bool wrong_size_ ABSL_GUARDED_BY(mu_) = false;
};

class KinesisSinkTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto k = StartKinesalite();
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

  static KinesisConfig Config(const std::string& stream, const std::string& endpoint) {
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

  // Delivers `records` in batches of 100, flushes and closes; returns the
  // sum of the batches' reports (each must come exactly once).
  static DeliveryReport Run(KinesisSink& sink, const OutBatch& records) {
    EXPECT_TRUE(sink.Start().ok());
    ReportLog log;
    int batches = 0;
    for (size_t i = 0; i < records.size(); i += 100, ++batches) {
      OutBatch b(records.begin() + i,
                 records.begin() + std::min(records.size(), i + 100));
      const size_t n = b.size();
      sink.Deliver(std::move(b), log.Track(batches, n));
    }
    absl::Status flushed = sink.Flush(absl::Now() + absl::Seconds(60));
    EXPECT_TRUE(flushed.ok()) << flushed;
    sink.Close();
    EXPECT_EQ(log.calls().size(), static_cast<size_t>(batches));
    for (const auto& [batch, n] : log.calls()) EXPECT_EQ(n, 1) << "batch " << batch;
    EXPECT_FALSE(log.wrong_size());
    return log.total();
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

  static void ExpectExactlyOnce(
      const OutBatch& records,
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

  static inline PortProcess* kinesalite_ = nullptr;
};

}  // namespace streamgate::kinesis::testing
