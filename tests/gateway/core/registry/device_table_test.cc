// DeviceTable and its builder: lookups at both ends and in between,
// interned classes, duplicate ids across origins, the per-device size.
#include "gateway/core/registry/device_table.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

TEST(DeviceTableTest, FindsEveryDeviceAndNoOther) {
  DeviceTableBuilder b;
  b.SetOrigin("f line ", "");
  // Added out of order; ids with gaps.
  for (int64_t id = 1000; id >= 10; id -= 10) {
    ASSERT_TRUE(
        b.Add(id, id + 1, id % 20 ? "odd" : "even", static_cast<uint32_t>(id))
            .ok());
  }
  auto t = std::move(b).Build();
  ASSERT_TRUE(t.ok());
  const DeviceTable& table = **t;
  ASSERT_EQ(table.size(), 100u);
  for (int64_t id = 1; id <= 1010; ++id) {
    auto d = table.Find(id);
    ASSERT_EQ(d.has_value(), id % 10 == 0 && id <= 1000) << id;
    if (d) {
      EXPECT_EQ(d->home_id, id + 1);
      EXPECT_EQ(d->device_class, id % 20 ? "odd" : "even");
    }
  }
  EXPECT_FALSE(table.Find(INT64_MAX).has_value());
  EXPECT_FALSE(table.Find(-10).has_value());
  EXPECT_EQ(table.id_at(0), 10);
  EXPECT_EQ(table.id_at(99), 1000);
  EXPECT_EQ(table.class_count(), 3u);  // "", odd, even
  // Classes are stored once: both views point at the same bytes.
  EXPECT_EQ(table.Find(10)->device_class.data(),
            table.Find(30)->device_class.data());
}

TEST(DeviceTableTest, DuplicateAcrossOriginsNamesBoth) {
  DeviceTableBuilder b;
  b.SetOrigin("devices[", "]");
  ASSERT_TRUE(b.Add(7, 1, "", 0).ok());
  b.SetOrigin("d.csv line ", "");
  ASSERT_TRUE(b.Add(8, 1, "", 2).ok());
  ASSERT_TRUE(b.Add(7, 2, "", 3).ok());
  auto t = std::move(b).Build();
  EXPECT_EQ(t.status().message(),
            "device 7 is listed twice: devices[0] and d.csv line 3");
}

TEST(DeviceTableTest, EmptyTable) {
  auto t = DeviceTableBuilder().Build();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->size(), 0u);
  EXPECT_FALSE((*t)->Find(1).has_value());
}

TEST(DeviceTableTest, AboutTwentyBytesPerDevice) {
  DeviceTableBuilder b;
  constexpr int kDevices = 100000;
  for (int i = 1; i <= kDevices; ++i) {
    ASSERT_TRUE(b.Add(i, i, i % 2 ? "sensor" : "lamp", i).ok());
  }
  auto t = std::move(b).Build();
  ASSERT_TRUE(t.ok());
  // 8 (id) + 8 (home) + 4 (class index); the target is <= 40.
  EXPECT_LE((*t)->memory_bytes(), kDevices * 20 + 1024);
}

}  // namespace
}  // namespace streamgate
