// KeyOrder with groups (per_key ordering under KPL aggregation): a key's
// held records go out together once all of its records out are settled,
// oldest first, up to the group's bytes; other keys are not held back.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sinks/kinesis/key_order.h"

namespace streamgate::kinesis {
namespace {

PendingRecord Rec(const std::string& key, int n) {
  PendingRecord r;
  r.record.partition_key = key;
  // 9 bytes of data + 1 of key: 10 bytes a record.
  r.record.data = std::make_shared<const std::string>(
      absl::StrCat("data-", n, "xxx").substr(0, 9));
  r.ticket = static_cast<uint64_t>(n);
  return r;
}

TEST(KeyOrderGroupTest, HeldRecordsGoOutAsAGroupOnceTheGroupOutSettles) {
  KeyOrder gate(/*per_key=*/true, /*group_bytes=*/30);
  ASSERT_TRUE(gate.Admit(Rec("k", 0)));
  for (int n = 1; n <= 5; ++n) EXPECT_FALSE(gate.Admit(Rec("k", n)));
  EXPECT_EQ(gate.held(), 5u);
  // Record 0 settles: 1..3 go (30 bytes), in order.
  PendingBatch group = gate.SettledGroup("k");
  ASSERT_EQ(group.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(group[i].ticket, uint64_t(i + 1));
  // Nothing more until all three are settled.
  EXPECT_TRUE(gate.SettledGroup("k").empty());
  EXPECT_TRUE(gate.SettledGroup("k").empty());
  group = gate.SettledGroup("k");
  ASSERT_EQ(group.size(), 2u);
  EXPECT_EQ(group[0].ticket, 4u);
  EXPECT_EQ(group[1].ticket, 5u);
  EXPECT_TRUE(gate.SettledGroup("k").empty());
  EXPECT_TRUE(gate.SettledGroup("k").empty());  // the key is free again
  EXPECT_EQ(gate.keys_out(), 0u);
  EXPECT_TRUE(gate.Admit(Rec("k", 6)));
}

TEST(KeyOrderGroupTest, AGroupHoldsAtLeastOneRecordAndOtherKeysFlow) {
  KeyOrder gate(true, 1);  // smaller than any record
  ASSERT_TRUE(gate.Admit(Rec("a", 0)));
  EXPECT_FALSE(gate.Admit(Rec("a", 1)));
  EXPECT_FALSE(gate.Admit(Rec("a", 2)));
  EXPECT_TRUE(gate.Admit(Rec("b", 3)));
  PendingBatch group = gate.SettledGroup("a");
  ASSERT_EQ(group.size(), 1u);
  EXPECT_EQ(group[0].ticket, 1u);
  EXPECT_EQ(gate.held(), 1u);
}

TEST(KeyOrderGroupTest, WithoutGroupsSettledGivesOneAtATime) {
  KeyOrder gate(true);
  ASSERT_TRUE(gate.Admit(Rec("k", 0)));
  EXPECT_FALSE(gate.Admit(Rec("k", 1)));
  EXPECT_FALSE(gate.Admit(Rec("k", 2)));
  auto next = gate.Settled("k");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->ticket, 1u);
  next = gate.Settled("k");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->ticket, 2u);
  EXPECT_FALSE(gate.Settled("k"));
}

}  // namespace
}  // namespace streamgate::kinesis
