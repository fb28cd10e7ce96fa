// DeviceRegistry: a reload swaps the whole table at once. Readers running
// through many swaps always see one complete table (every device of it,
// with that table's home ids), never a mix or an empty one.
#include "gateway/core/device_registry.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace streamgate {
namespace {

constexpr int kDevices = 1000;

// Devices 1..kDevices, every home id = `generation`.
std::shared_ptr<const DeviceTable> Generation(int64_t generation) {
  DeviceTableBuilder b;
  for (int i = 1; i <= kDevices; ++i) {
    EXPECT_TRUE(b.Add(i, generation, "c", i).ok());
  }
  return *std::move(b).Build();
}

TEST(DeviceRegistryTest, SnapshotOutlivesReplace) {
  DeviceRegistry r(Generation(1));
  auto old = r.Snapshot();
  r.Replace(Generation(2));
  EXPECT_EQ(old->Find(5)->home_id, 1);
  EXPECT_EQ(old->Find(5)->device_class, "c");  // still valid
  EXPECT_EQ(r.Snapshot()->Find(5)->home_id, 2);
}

TEST(DeviceRegistryTest, NullMeansEmpty) {
  DeviceRegistry r(nullptr);
  EXPECT_EQ(r.Snapshot()->size(), 0u);
  r.Replace(nullptr);
  EXPECT_EQ(r.Snapshot()->size(), 0u);
}

TEST(DeviceRegistryTest, ReadersSeeWholeTablesDuringSwaps) {
  DeviceRegistry r(Generation(1));
  constexpr int kSwaps = 200;
  std::atomic<bool> done{false};
  std::atomic<int64_t> lookups{0};
  std::atomic<int64_t> torn{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      int64_t last = 1;
      int i = t;
      while (!done.load(std::memory_order_acquire)) {
        auto table = r.Snapshot();
        const int64_t home = table->Find(1)->home_id;
        // The same snapshot answers alike for every device.
        auto d = table->Find(1 + (i++ % kDevices));
        if (!d || d->home_id != home || home < last) torn.fetch_add(1);
        last = home;  // generations only grow
        lookups.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (int g = 2; g <= kSwaps; ++g) r.Replace(Generation(g));
  done.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_GT(lookups.load(), 0);
  EXPECT_EQ(r.Snapshot()->Find(kDevices)->home_id, kSwaps);
}

}  // namespace
}  // namespace streamgate
