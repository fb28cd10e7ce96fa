// Settling aggregates in user records: tallies and counts see the members,
// a dead aggregate becomes its members with its fate, a retried one stays
// whole, and the codec sends an aggregate's ExplicitHashKey.
#include "sinks/kinesis/aggregation/aggregate_settlement.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "sinks/kinesis/codec.h"

namespace streamgate::kinesis {
namespace {

PendingRecord User(const std::string& key, const std::string& data,
                   uint64_t ticket, int attempts = 0) {
  PendingRecord r;
  r.record.partition_key = key;
  r.record.data = std::make_shared<const std::string>(data);
  r.ticket = ticket;
  r.attempts = attempts;
  return r;
}

PendingRecord Aggregate(std::vector<PendingRecord> members) {
  PendingRecord a;
  a.record.partition_key = members.front().record.partition_key;
  a.record.data = std::make_shared<const std::string>("<aggregate bytes>");
  a.explicit_hash_key = "42";
  a.members = std::move(members);
  return a;
}

TEST(AggregateSettlementTest, CountsAndVisitsUserRecords) {
  PendingBatch sent;
  sent.push_back(Aggregate({User("a", "1", 7), User("b", "22", 8)}));
  sent.push_back(User("plain", "333", 9));
  const UserRecordCount count = CountUserRecords(sent);
  EXPECT_EQ(count.records, 3u);
  EXPECT_EQ(count.bytes, 2u + 3u + 8u);
  std::vector<uint64_t> tickets;
  ForEachUserRecord(
      sent, [&](const PendingRecord& r) { tickets.push_back(r.ticket); });
  EXPECT_EQ(tickets, (std::vector<uint64_t>{7, 8, 9}));
}

TEST(AggregateSettlementTest, RetriedAggregateStaysWhole) {
  PendingBatch sent;
  sent.push_back(Aggregate({User("a", "1", 7, 0), User("b", "22", 8, 2)}));
  sent.push_back(User("plain", "333", 9));
  const UserRecordCount count = CountUserRecords(sent);
  // The retrier stored the plain record and failed the aggregate.
  RetryOutcome outcome;
  outcome.delivered = 1;
  outcome.delivered_bytes = sent[1].size();
  PendingRecord failed = sent[0];
  failed.attempts = 3;
  failed.last_error = "ProvisionedThroughputExceededException";
  outcome.retry.push_back(std::move(failed));
  ExpandAggregates(outcome, count);
  EXPECT_EQ(outcome.delivered, 1u);
  EXPECT_EQ(outcome.delivered_bytes, 8u);
  ASSERT_EQ(outcome.retry.size(), 1u);
  EXPECT_EQ(outcome.retry[0].members.size(), 2u);
  EXPECT_EQ(outcome.retry[0].explicit_hash_key, "42");
  EXPECT_EQ(outcome.retry[0].attempts, 3);
}

TEST(AggregateSettlementTest, StoredAggregateDeliversEveryMember) {
  PendingBatch sent;
  sent.push_back(Aggregate({User("a", "1", 7), User("b", "22", 8)}));
  RetryOutcome outcome;
  outcome.delivered = 1;
  outcome.delivered_bytes = sent[0].size();
  ExpandAggregates(outcome, CountUserRecords(sent));
  EXPECT_EQ(outcome.delivered, 2u);
  EXPECT_EQ(outcome.delivered_bytes, 5u);
  EXPECT_TRUE(outcome.retry.empty());
  EXPECT_TRUE(outcome.dead.empty());
}

TEST(AggregateSettlementTest, DeadAggregateDeadLettersEveryMember) {
  PendingBatch sent;
  sent.push_back(Aggregate({User("a", "1", 7), User("b", "22", 8)}));
  sent.push_back(User("c", "333", 9));
  RetryOutcome outcome;
  for (PendingRecord r : sent) {
    r.last_error = "ResourceNotFoundException";
    r.possible_duplicate = true;
    r.attempts = 4;
    outcome.dead.push_back(std::move(r));
  }
  outcome.newly_possible_duplicates = 2;  // the two Kinesis records
  ExpandAggregates(outcome, CountUserRecords(sent));
  EXPECT_EQ(outcome.delivered, 0u);
  EXPECT_EQ(outcome.delivered_bytes, 0u);
  EXPECT_EQ(outcome.newly_possible_duplicates, 3u);
  ASSERT_EQ(outcome.dead.size(), 3u);
  for (const PendingRecord& r : outcome.dead) {
    EXPECT_EQ(r.last_error, "ResourceNotFoundException");
    EXPECT_TRUE(r.possible_duplicate);
    EXPECT_TRUE(r.members.empty());
    EXPECT_EQ(r.attempts, 4);
  }
  EXPECT_EQ(*outcome.dead[2].record.data, "333");
}

TEST(AggregateSettlementTest, CodecSendsTheExplicitHashKey) {
  PendingBatch batch;
  batch.push_back(Aggregate({User("dev-1", "x", 1), User("dev-2", "y", 1)}));
  batch.push_back(User("plain", "hi", 2));
  EXPECT_EQ(EncodePutRecords("s", batch),
            "{\"StreamName\":\"s\",\"Records\":["
            "{\"Data\":\"PGFnZ3JlZ2F0ZSBieXRlcz4=\",\"PartitionKey\":\"dev-1\","
            "\"ExplicitHashKey\":\"42\"},"
            "{\"Data\":\"aGk=\",\"PartitionKey\":\"plain\"}]}");
}

}  // namespace
}  // namespace streamgate::kinesis
