// DeviceRegistry: a reload swaps the whole table at once. Readers running
// through many swaps always see one complete table (every device of it,
// with that table's home ids), never a mix or an empty one.
#include "gateway/core/device_registry.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gateway/core/text_exposition.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/core/test_pipeline.h"

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

// The pipeline reports the registry's size and its reloads, ok or refused.
TEST(DeviceRegistryTest, PipelineMetricsCountDevicesAndReloads) {
  testing::TestPipeline p(
      "devices: [{id: 1, home_id: 2}]\n"
      "modules: [{id: m, subscribe_events: ['*'], sink: {type: stdout}}]\n");
  p.pipeline().ReloadDevices(Generation(3));
  p.pipeline().CountRefusedDeviceReload();
  p.pipeline().CountRefusedDeviceReload();
  metrics::TextExposition text;
  p.pipeline().CollectMetrics(text);
  const std::string out = text.Render();
  EXPECT_THAT(
      out, ::testing::HasSubstr("\nstreamgate_device_registry_devices 1000\n"));
  EXPECT_THAT(
      out,
      ::testing::HasSubstr(
          "\nstreamgate_device_registry_reloads_total{result=\"ok\"} 1\n"));
  EXPECT_THAT(out, ::testing::HasSubstr("\nstreamgate_device_registry_reloads_"
                                        "total{result=\"refused\"} 2\n"));
  // The registry was swapped: device 1's home is the new table's.
  EventInput e;
  e.event_type = "t";
  e.origin_device_id = 1;
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  EXPECT_THAT(p.DrainData(0),
              ::testing::ElementsAre(::testing::HasSubstr(R"("homeId":3,)")));
}

}  // namespace
}  // namespace streamgate
