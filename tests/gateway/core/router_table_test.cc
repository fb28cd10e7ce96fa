// RouteTable: a snapshot stays valid across a Replace, and WaitUnused
// reports whether any input still holds the replaced table.
#include "gateway/core/router_table.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"

namespace streamgate {
namespace {

std::shared_ptr<Router> Empty() {
  return std::make_shared<Router>(std::vector<ModuleConfig>{},
                                  std::vector<RoutedModule>{});
}

TEST(RouteTableTest, ReplaceReturnsTheOldTableAndSnapshotsSeeTheNew) {
  auto first = Empty();
  auto second = Empty();
  RouteTable table(first);
  EXPECT_EQ(table.Snapshot(), first);
  EXPECT_EQ(table.Replace(second), first);
  EXPECT_EQ(table.Snapshot(), second);
}

TEST(RouteTableTest, WaitUnusedSeesAHolder) {
  RouteTable table(Empty());
  std::shared_ptr<Router> held = table.Snapshot();  // an input in flight
  std::shared_ptr<Router> old = table.Replace(Empty());
  // A past deadline: one look, no waiting.
  EXPECT_FALSE(RouteTable::WaitUnused(old, absl::InfinitePast()));
  held.reset();  // the input finished
  EXPECT_TRUE(RouteTable::WaitUnused(old, absl::InfinitePast()));
}

}  // namespace
}  // namespace streamgate
