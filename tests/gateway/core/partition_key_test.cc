// Partition keys (spec 3): UUIDv4 text and uniqueness, decimal id keys, and
// which key the Ingester gives each kind of input per module.
#include "gateway/core/partition_key.h"

#include <limits>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/core/test_pipeline.h"

namespace streamgate {
namespace {

using testing::TestPipeline;

const std::regex kUuidV4(
    "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

TEST(RandomUuidV4Test, CanonicalLowerCaseVersion4) {
  for (int i = 0; i < 2000; ++i) {
    const std::string u = RandomUuidV4();
    ASSERT_EQ(u.size(), 36u) << u;
    ASSERT_TRUE(std::regex_match(u, kUuidV4)) << u;
  }
}

TEST(RandomUuidV4Test, UniqueOver100k) {
  absl::flat_hash_set<std::string> seen;
  seen.reserve(100000);
  for (int i = 0; i < 100000; ++i) {
    ASSERT_TRUE(seen.insert(RandomUuidV4()).second) << "repeat after " << i;
  }
}

TEST(RandomUuidV4Test, RandomBitsAreActuallyRandom) {
  // Every hex digit shows up at every random position, and all four variant
  // digits appear: catches a stuck nibble or a constant field.
  std::vector<std::set<char>> seen(36);
  for (int i = 0; i < 4000; ++i) {
    const std::string u = RandomUuidV4();
    for (int p = 0; p < 36; ++p) seen[p].insert(u[p]);
  }
  for (int p = 0; p < 36; ++p) {
    if (p == 8 || p == 13 || p == 18 || p == 23) {
      EXPECT_EQ(seen[p], std::set<char>{'-'}) << p;
    } else if (p == 14) {
      EXPECT_EQ(seen[p], std::set<char>{'4'});
    } else if (p == 19) {
      EXPECT_EQ(seen[p], (std::set<char>{'8', '9', 'a', 'b'}));
    } else {
      EXPECT_EQ(seen[p].size(), 16u) << "position " << p;
    }
  }
}

TEST(RandomUuidV4Test, DifferentThreadsGetDifferentKeys) {
  std::vector<std::string> a, b;
  std::thread t1([&] { for (int i = 0; i < 1000; ++i) a.push_back(RandomUuidV4()); });
  std::thread t2([&] { for (int i = 0; i < 1000; ++i) b.push_back(RandomUuidV4()); });
  t1.join();
  t2.join();
  std::set<std::string> all(a.begin(), a.end());
  all.insert(b.begin(), b.end());
  EXPECT_EQ(all.size(), 2000u);
}

TEST(IdKeyTest, Decimal) {
  EXPECT_EQ(IdKey(42), "42");
  EXPECT_EQ(IdKey(1), "1");
  EXPECT_EQ(IdKey(9007199254740993), "9007199254740993");
  EXPECT_EQ(IdKey(std::numeric_limits<int64_t>::max()), "9223372036854775807");
}

// --- through the Ingester --------------------------------------------------

constexpr char kConfig[] = R"(
devices:
  - {id: 42, home_id: 7, class: thermostat}
modules:
  - id: ids
    subscribe_events: ["*"]
    bulk_data_label: "*"
    sink: {type: stdout}
  - id: uuids
    subscribe_events: ["*"]
    bulk_data_label: "*"
    use_uuid: true
    sink: {type: stdout}
)";

EventInput Event(absl::string_view type) {
  EventInput e;
  e.event_type = type;
  e.timestamp = absl::FromUnixSeconds(1700000000);
  return e;
}

TEST(IngesterPartitionKeyTest, DeviceEventKeyIsTheDeviceId) {
  TestPipeline p(kConfig);
  EventInput e = Event("alarm");
  e.origin_device_id = 42;
  e.home_id = 99;  // the device id wins over the home
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  OutBatch got = p.Drain(0);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].partition_key, "42");
}

TEST(IngesterPartitionKeyTest, HomeEventKeyIsTheHomeId) {
  TestPipeline p(kConfig);
  EventInput e = Event("alarm");
  e.home_id = 123456789012;
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  OutBatch got = p.Drain(0);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].partition_key, "123456789012");
}

TEST(IngesterPartitionKeyTest, RegistryDeviceEventKeyIsTheDeviceIdNotItsHome) {
  TestPipeline p(kConfig);
  EventInput e = Event("alarm");
  e.origin_device_id = 42;  // home 7 from the registry
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  OutBatch got = p.Drain(0);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].partition_key, "42");
}

TEST(IngesterPartitionKeyTest, BulkKeyIsTheDeviceId) {
  TestPipeline p(kConfig);
  const std::string r1 = "one", r2 = "two";
  const std::string* recs[] = {&r1, &r2};
  BulkInput b;
  b.device_id = 31337;
  b.label = "telemetry";
  b.records = recs;
  ASSERT_TRUE(p.ingester().PublishBulk(b, {}).ok());
  OutBatch got = p.Drain(0);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].partition_key, "31337");
  EXPECT_EQ(got[1].partition_key, "31337");
}

TEST(IngesterPartitionKeyTest, UseUuidGivesAFreshUuidPerRecord) {
  TestPipeline p(kConfig);
  std::vector<EventInput> events(3, Event("alarm"));
  for (auto& e : events) e.origin_device_id = 42;
  ASSERT_TRUE(p.ingester().PublishEvents(events, {}).ok());
  const std::string r = "x";
  const std::string* recs[] = {&r, &r};
  BulkInput b;
  b.device_id = 42;
  b.label = "l";
  b.records = recs;
  ASSERT_TRUE(p.ingester().PublishBulk(b, {}).ok());
  OutBatch got = p.Drain(1);
  ASSERT_EQ(got.size(), 5u);
  std::set<std::string> keys;
  for (const OutRecord& o : got) {
    EXPECT_TRUE(std::regex_match(o.partition_key, kUuidV4)) << o.partition_key;
    keys.insert(o.partition_key);
  }
  EXPECT_EQ(keys.size(), 5u);
}

TEST(IngesterPartitionKeyTest, ModulesWithDifferentUseUuidShareBytesNotKeys) {
  TestPipeline p(kConfig);
  EventInput e = Event("alarm");
  e.origin_device_id = 42;
  ASSERT_TRUE(p.ingester().PublishEvents({e}, {}).ok());
  OutBatch ids = p.Drain(0), uuids = p.Drain(1);
  ASSERT_EQ(ids.size(), 1u);
  ASSERT_EQ(uuids.size(), 1u);
  EXPECT_EQ(ids[0].data.get(), uuids[0].data.get());  // same shared bytes
  EXPECT_EQ(ids[0].partition_key, "42");
  EXPECT_TRUE(std::regex_match(uuids[0].partition_key, kUuidV4));
}

TEST(IngesterPartitionKeyTest, TwoUuidModulesGetDifferentUuidsForTheSameRecord) {
  TestPipeline p(R"(
modules:
  - {id: u1, bulk_data_label: l, use_uuid: true, sink: {type: stdout}}
  - {id: u2, bulk_data_label: l, use_uuid: true, sink: {type: stdout}}
)");
  const std::string r = "payload";
  const std::string* recs[] = {&r};
  BulkInput b;
  b.device_id = 5;
  b.label = "l";
  b.records = recs;
  ASSERT_TRUE(p.ingester().PublishBulk(b, {}).ok());
  OutBatch a = p.Drain(0), c = p.Drain(1);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(a[0].data.get(), c[0].data.get());
  EXPECT_NE(a[0].partition_key, c[0].partition_key);
}

}  // namespace
}  // namespace streamgate
