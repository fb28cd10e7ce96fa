// Per-key order through the sink's stages with KPL aggregation, under
// throttling and random per-record failures: KeyOrder -> ShardAssembler
// (KplPacker) -> a simulated stream (per-shard token buckets, random
// InternalFailure, concurrent requests answered in any order) -> Retrier ->
// settlement, wired as KinesisSink::Apply wires them. Simulated time, seeded
// randomness: deterministic. Every user record must be stored once and each
// key's records in the order they were admitted.
#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sinks/kinesis/aggregation/aggregate_settlement.h"
#include "sinks/kinesis/aggregation/kpl_packer.h"
#include "sinks/kinesis/key_order.h"
#include "sinks/kinesis/retrier.h"
#include "sinks/kinesis/shard_assembler.h"
#include "sinks/kinesis/shard_map.h"

namespace streamgate::kinesis {
namespace {

constexpr int kDevices = 60;
constexpr int kEvents = 3000;
constexpr int kBatch = 50;
constexpr size_t kAggregateBytes = 8192;

// One simulated shard of the stream: the emulator's buckets and store.
struct SimShard {
  double records = 20, bytes = 65536;  // tokens; burst = one second
  absl::Time last;
  std::vector<std::string> stored;  // user record data, in stored order
};

struct InFlight {
  PendingBatch batch;
  absl::Time process_at;  // when the stream acts on it
  absl::Time answer_at;   // when the sink applies the answer
  std::string body;       // the answer, once processed
  bool processed = false;
};

class Simulation {
 public:
  // `apply_clock_lag_ms`: how much earlier than the simulated now the
  // answers' settlement may read its clock (the sink's threads each read
  // absl::Now(); Apply reads it before it takes the lock, while Deliver
  // may admit records with a later read).
  explicit Simulation(uint32_t seed, int deliver_every_ms = 2,
                      int latency_ms = 30, int apply_clock_lag_ms = 0)
      : deliver_every_ms_(deliver_every_ms),
        latency_ms_(latency_ms),
        apply_clock_lag_ms_(apply_clock_lag_ms),
        rng_(seed),
        order_(/*per_key=*/true, kAggregateBytes / 2),
        assembler_(ShardAssembler::Limits{500, 5 << 20, absl::Milliseconds(20)},
                   RateLimit{1000, 1048576, true},
                   std::make_unique<KplPacker>(kAggregateBytes), Start()),
        retrier_(RetryPolicy{absl::Milliseconds(20), absl::Milliseconds(500),
                             absl::Seconds(600)},
                 [this] { return Uniform(); }) {
    const absl::uint128 half = absl::Uint128Max() / 2;
    auto map = ShardMap::Build(
        {{"shardId-000000000000", 0, half},
         {"shardId-000000000001", half + 1, absl::Uint128Max()}});
    assembler_.SetMap(*std::move(map), Start());
    for (SimShard& s : shards_) s.last = Start();
  }

  static absl::Time Start() { return absl::FromUnixSeconds(1000); }

  double Uniform() {
    return std::uniform_real_distribution<double>(0, 1)(rng_);
  }

  // Runs until every event is stored; returns the simulated duration.
  absl::Duration Run() {
    absl::Time now = Start();
    int next_event = 0;
    size_t stored_users = 0;
    for (int step = 0; step < 600000 && stored_users < kEvents; ++step) {
      now += absl::Milliseconds(1);
      // The module delivers a batch of events every 2 ms.
      if (next_event < kEvents && step % deliver_every_ms_ == 0) {
        for (int i = next_event; i < next_event + kBatch; ++i) Deliver(i, now);
        next_event += kBatch;
      }
      // The stream acts on requests, then answers come back, each in time
      // order (which differs from the order the requests went in).
      for (InFlight* f : Due(&InFlight::process_at, now, /*processed=*/false)) {
        Process(*f, now);
      }
      for (InFlight* f : Due(&InFlight::answer_at, now, /*processed=*/true)) {
        stored_users += Apply(
            *f,
            now - absl::Microseconds(Uniform() * 1000 * apply_clock_lag_ms_));
      }
      in_flight_.erase(std::remove_if(in_flight_.begin(), in_flight_.end(),
                                      [](const std::unique_ptr<InFlight>& f) {
                                        return f->batch.empty();
                                      }),
                       in_flight_.end());
      // The sender loop.
      while (in_flight_.size() < 8) {
        std::optional<PendingBatch> batch =
            assembler_.TakeReady(now, /*force=*/next_event >= kEvents);
        if (!batch) break;
        auto f = std::make_unique<InFlight>();
        f->batch = *std::move(batch);
        f->process_at =
            now + absl::Microseconds(Uniform() * 1000 * latency_ms_);
        f->answer_at =
            f->process_at + absl::Microseconds(Uniform() * 1000 * latency_ms_);
        in_flight_.push_back(std::move(f));
      }
    }
    return now - Start();
  }

  // Each key's stored records, in stored order.
  std::map<std::string, std::vector<int>> StoredByKey() const {
    std::map<std::string, std::vector<int>> out;
    for (const SimShard& s : shards_) {
      for (const std::string& data : s.stored) {
        const size_t hash = data.find('#');
        out[data.substr(0, hash)].push_back(
            std::stoi(data.substr(hash + 1, data.find('|') - hash - 1)));
      }
    }
    return out;
  }

  size_t plain_sent = 0;
  size_t aggregates_sent = 0;

 private:
  void Deliver(int i, absl::Time now) {
    PendingRecord p;
    p.record.partition_key = absl::StrCat(i % kDevices + 1);
    p.record.data = std::make_shared<const std::string>(
        absl::StrCat(p.record.partition_key, "#", i / kDevices, "|",
                     std::string(100 + i % 40, 'x')));
    p.accepted = now;
    p.not_before = now;
    p.hash_key = HashKeyOf(p.record.partition_key);
    if (std::optional<PendingRecord> go = order_.Admit(std::move(p))) {
      assembler_.Add(*std::move(go), now);
    }
  }

  std::vector<InFlight*> Due(absl::Time InFlight::*at, absl::Time now,
                             bool processed) {
    std::vector<InFlight*> due;
    for (auto& f : in_flight_) {
      if (f->processed == processed && (*f).*at <= now && !f->batch.empty()) {
        due.push_back(f.get());
      }
    }
    std::sort(due.begin(), due.end(),
              [at](InFlight* a, InFlight* b) { return a->*at < b->*at; });
    return due;
  }

  // The emulator: per record, 10% InternalFailure, else the shard's buckets.
  void Process(InFlight& f, absl::Time now) {
    f.processed = true;
    int failed = 0;
    std::string records;
    for (const PendingRecord& r : f.batch) {
      (r.members.empty() ? plain_sent : aggregates_sent)++;
      SimShard& s = shards_[r.hash_key > absl::Uint128Max() / 2 ? 1 : 0];
      const double dt = absl::ToDoubleSeconds(now - s.last);
      s.last = now;
      s.records = std::min(20.0, s.records + dt * 20);
      s.bytes = std::min(65536.0, s.bytes + dt * 65536);
      if (!records.empty()) records += ",";
      if (Uniform() < 0.1) {
        ++failed;
        records += R"({"ErrorCode":"InternalFailure","ErrorMessage":"x"})";
        continue;
      }
      if (s.records < 1 || s.bytes < static_cast<double>(r.size())) {
        ++failed;
        records +=
            R"({"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"x"})";
        continue;
      }
      s.records -= 1;
      s.bytes -= static_cast<double>(r.size());
      if (r.members.empty()) {
        s.stored.push_back(*r.record.data);
      } else {
        for (const PendingRecord& m : r.members)
          s.stored.push_back(*m.record.data);
      }
      records += R"({"SequenceNumber":"1","ShardId":"shardId-000000000000"})";
    }
    f.body = absl::StrCat(R"({"FailedRecordCount":)", failed, R"(,"Records":[)",
                          records, "]}");
  }

  // KinesisSink::Apply's settlement; returns the user records stored.
  size_t Apply(InFlight& f, absl::Time now) {
    const UserRecordCount users = CountUserRecords(f.batch);
    aws::HttpResponse response;
    response.status = 200;
    response.body = f.body;
    RetryOutcome outcome =
        retrier_.OnResponse(std::move(f.batch), response, now);
    f.batch.clear();
    ExpandAggregates(outcome, users);
    EXPECT_TRUE(outcome.dead.empty());
    std::map<std::pair<int, uint64_t>, std::pair<size_t, size_t>> shards;
    for (const PendingRecord& r : outcome.stored) {
      ++shards[{r.shard, r.generation}].first;
      if (r.members.empty()) {
        Release(r.record.partition_key, now);
      } else {
        for (const PendingRecord& m : r.members)
          Release(m.record.partition_key, now);
      }
    }
    for (auto& r : outcome.retry) {
      if (IsThrottlingError(r.last_error))
        ++shards[{r.shard, r.generation}].second;
      assembler_.Retry(std::move(r), now);
    }
    for (const auto& [shard, counts] : shards) {
      assembler_.Report(shard.first, shard.second, counts.first, counts.second,
                        now);
    }
    return outcome.delivered;
  }

  void Release(const std::string& key, absl::Time now) {
    for (PendingRecord& next : order_.SettledGroup(key)) {
      assembler_.Add(std::move(next), now);
    }
  }

  const int deliver_every_ms_;
  const int latency_ms_;
  const int apply_clock_lag_ms_;
  std::mt19937 rng_;
  KeyOrder order_;
  ShardAssembler assembler_;
  Retrier retrier_;
  SimShard shards_[2];
  std::vector<std::unique_ptr<InFlight>> in_flight_;
};

void ExpectEveryKeyInOrder(const Simulation& sim, uint32_t seed) {
  size_t total = 0;
  int out_of_order = 0;
  std::string first_bad;
  for (const auto& [key, ns] : sim.StoredByKey()) {
    total += ns.size();
    std::vector<int> sorted = ns;
    std::sort(sorted.begin(), sorted.end());
    if (ns != sorted) {
      if (first_bad.empty()) {
        first_bad = absl::StrCat("key ", key, ":");
        for (int n : ns) absl::StrAppend(&first_bad, " ", n);
      }
      ++out_of_order;
    }
  }
  EXPECT_EQ(total, static_cast<size_t>(kEvents)) << "seed " << seed;
  EXPECT_EQ(out_of_order, 0) << "seed " << seed << "; plain sent "
                             << sim.plain_sent << ", aggregates sent "
                             << sim.aggregates_sent << "; first: " << first_bad;
}

TEST(KplOrderSimulationTest, ThrottledAndFailingAggregatesKeepEveryKeysOrder) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    Simulation sim(seed);
    sim.Run();
    ExpectEveryKeyInOrder(sim, seed);
  }
}

TEST(KplOrderSimulationTest, ABacklogAndSlowAnswersKeepEveryKeysOrder) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    Simulation sim(seed, /*deliver_every_ms=*/1, /*latency_ms=*/300);
    sim.Run();
    ExpectEveryKeyInOrder(sim, seed);
  }
}

// The sink's threads read the clock apart: records admitted by Deliver
// may carry a later time than the one Apply releases them with. They must
// still go out as the new records they are, in order.
TEST(KplOrderSimulationTest,
     SettlementWithAnEarlierClockReadKeepsEveryKeysOrder) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    Simulation sim(seed, /*deliver_every_ms=*/2, /*latency_ms=*/30,
                   /*apply_clock_lag_ms=*/20);
    sim.Run();
    ExpectEveryKeyInOrder(sim, seed);
  }
}

}  // namespace
}  // namespace streamgate::kinesis
