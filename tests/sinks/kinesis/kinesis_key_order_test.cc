// KeyOrder: a record out holds back its key's later records, in order;
// other keys flow; ordering: none lets everything through.
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "sinks/kinesis/key_order.h"

namespace streamgate::kinesis {
namespace {

PendingRecord Rec(std::string key, std::string data) {
  PendingRecord r;
  r.record.partition_key = std::move(key);
  r.record.data = std::make_shared<const std::string>(std::move(data));
  return r;
}

TEST(KeyOrderTest, FailedRecordHoldsBackItsKeysLaterRecords) {
  KeyOrder gate(/*per_key=*/true);
  ASSERT_TRUE(gate.Admit(Rec("dev-1", "a1")));   // out
  EXPECT_FALSE(gate.Admit(Rec("dev-1", "a2")));  // held behind a1
  EXPECT_FALSE(gate.Admit(Rec("dev-1", "a3")));
  EXPECT_EQ(gate.held(), 2u);
  // a1 fails and waits to retry: its key is not settled, nothing moves.
  // a1 is stored at last: a2 goes, then a3, in order.
  auto next = gate.Settled("dev-1");
  ASSERT_TRUE(next);
  EXPECT_EQ(*next->record.data, "a2");
  next = gate.Settled("dev-1");
  ASSERT_TRUE(next);
  EXPECT_EQ(*next->record.data, "a3");
  EXPECT_FALSE(gate.Settled("dev-1"));
  EXPECT_EQ(gate.keys_out(), 0u);
  // The key is free again.
  EXPECT_TRUE(gate.Admit(Rec("dev-1", "a4")));
}

TEST(KeyOrderTest, DifferentKeysFlow) {
  KeyOrder gate(true);
  EXPECT_TRUE(gate.Admit(Rec("dev-1", "a1")));
  EXPECT_TRUE(gate.Admit(Rec("dev-2", "b1")));
  EXPECT_FALSE(gate.Admit(Rec("dev-1", "a2")));
  EXPECT_TRUE(gate.Admit(Rec("dev-3", "c1")));
  EXPECT_EQ(gate.keys_out(), 3u);
  EXPECT_EQ(gate.held(), 1u);
  // Settling another key releases nothing of dev-1.
  EXPECT_FALSE(gate.Settled("dev-2"));
  EXPECT_EQ(gate.held(), 1u);
}

TEST(KeyOrderTest, NoneLetsEverythingThrough) {
  KeyOrder gate(false);
  EXPECT_TRUE(gate.Admit(Rec("k", "1")));
  EXPECT_TRUE(gate.Admit(Rec("k", "2")));
  EXPECT_FALSE(gate.Settled("k"));
  EXPECT_EQ(gate.held(), 0u);
}

TEST(KeyOrderTest, TakeAllEmptiesTheGate) {
  KeyOrder gate(true);
  ASSERT_TRUE(gate.Admit(Rec("k", "1")));
  EXPECT_FALSE(gate.Admit(Rec("k", "2")));
  EXPECT_FALSE(gate.Admit(Rec("k", "3")));
  PendingBatch all = gate.TakeAll();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(*all[0].record.data, "2");
  EXPECT_EQ(*all[1].record.data, "3");
  EXPECT_EQ(gate.held(), 0u);
  EXPECT_TRUE(gate.Admit(Rec("k", "4")));
}

}  // namespace
}  // namespace streamgate::kinesis
