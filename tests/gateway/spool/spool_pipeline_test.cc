// The spool in the pipeline: Router + Ingester publishing into SpoolQueues,
// a "crash" (everything destroyed with nothing delivered), a restart, and
// every acknowledged record coming out; and a ModuleWorker handing the
// sink's done callback back to the spool.
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gateway/core/config.h"
#include "gateway/core/device_registry.h"
#include "gateway/core/ingester.h"
#include "gateway/core/module_worker.h"
#include "gateway/core/router.h"
#include "gateway/spool/spool_queue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "gateway/api/sink.h"
#include "tests/gateway/spool/spool_test_util.h"

namespace streamgate {
namespace {

using testing::PopAll;
using testing::TempDir;

struct Pipeline {
  explicit Pipeline(const GatewayConfig& c) : registry(c.devices) {
    std::vector<RoutedModule> routed;
    for (const ModuleConfig& m : c.modules) {
      queues.push_back(std::make_unique<SpoolQueue>(m.id, *m.spool));
      EXPECT_TRUE(queues.back()->Start().ok());
      stats.push_back(std::make_unique<ModuleStats>());
      routed.push_back(RoutedModule{m.id, m.use_uuid, queues.back().get(),
                                    stats.back().get()});
    }
    router = std::make_unique<Router>(c.modules, std::move(routed));
    ingester = std::make_unique<Ingester>(registry, *router,
                                          size_t{1} << 20);
  }
  DeviceRegistry registry;
  std::vector<std::unique_ptr<SpoolQueue>> queues;
  std::vector<std::unique_ptr<ModuleStats>> stats;
  std::unique_ptr<Router> router;
  std::unique_ptr<Ingester> ingester;
};

EventInput Event(absl::string_view type, int64_t home_id) {
  EventInput e;
  e.event_type = type;
  e.home_id = home_id;
  e.timestamp = absl::FromUnixSeconds(1700000000);
  return e;
}

TEST(SpoolPipelineTest, AcknowledgedRecordsSurviveACrashAndComeOutInOrder) {
  TempDir t;
  auto config = ParseConfig(absl::StrCat(R"(modules:
  - {id: all, subscribe_events: ["*"], sink: {type: stdout},
     spool: {dir: )", t.path(), R"(/all, fsync: 5, segment_bytes: 8192}}
  - {id: alarms, subscribe_events: [alarm], sink: {type: stdout},
     spool: {dir: )", t.path(), R"(/alarms, fsync: always}}
)"), "t");
  ASSERT_TRUE(config.ok()) << config.status();
  constexpr int kEvents = 500;
  std::vector<std::string> want_all, want_alarms;
  {
    Pipeline p(*config);
    for (int i = 1; i <= kEvents; ++i) {
      const char* type = i % 3 == 0 ? "alarm" : "door";
      ASSERT_TRUE(p.ingester->PublishEvents({Event(type, i)}, {}).ok()) << i;
      want_all.push_back(absl::StrCat(i));
      if (i % 3 == 0) want_alarms.push_back(absl::StrCat(i));
    }
    // Part of module 'all' popped but never completed: the crash loses the
    // delivery, not the records.
    QueueBatch b;
    ASSERT_TRUE(p.queues[0]->PopBatch(b, kEvents / 2, absl::ZeroDuration()));
    EXPECT_FALSE(b.records.empty());
  }
  Pipeline p(*config);
  EXPECT_EQ(p.queues[0]->stats().replayed_records.load(),
            static_cast<uint64_t>(kEvents));
  ASSERT_TRUE(p.ingester->PublishEvents({Event("alarm", 9999)}, {}).ok());
  want_all.push_back("9999");
  want_alarms.push_back("9999");
  std::vector<std::string> keys_all, keys_alarms;
  for (int m = 0; m < 2; ++m) {
    while (true) {
      QueueBatch b;
      ASSERT_TRUE(p.queues[m]->PopBatch(b, 64, absl::ZeroDuration()));
      if (b.records.empty()) break;
      for (const OutRecord& r : b.records) {
        (m == 0 ? keys_all : keys_alarms).push_back(r.partition_key);
        EXPECT_THAT(*r.data, ::testing::HasSubstr(
                                 absl::StrCat("\"homeId\":", r.partition_key)));
      }
      std::move(b.done)();
    }
  }
  EXPECT_EQ(keys_all, want_all);
  EXPECT_EQ(keys_alarms, want_alarms);
}

// A sink that keeps each batch's done callback for the test to run.
class HoldingSink : public Sink {
 public:
  absl::Status Start() override { return absl::OkStatus(); }
  void Write(OutBatch batch) override {}
  void Deliver(OutBatch batch, BatchDone done) override {
    absl::MutexLock l(&mu_);
    records_ += batch.size();
    done_.push_back(std::move(done));
  }
  absl::Status Flush(absl::Time) override { return absl::OkStatus(); }
  void Close() override {}

  size_t records() {
    absl::MutexLock l(&mu_);
    return records_;
  }
  void SettleAll() {
    std::vector<BatchDone> done;
    {
      absl::MutexLock l(&mu_);
      done.swap(done_);
    }
    for (auto& d : done) std::move(d)();
  }

 private:
  absl::Mutex mu_;
  size_t records_ = 0;
  std::vector<BatchDone> done_;
};

TEST(SpoolPipelineTest, WorkerFreesSpoolOnlyWhenTheSinkSettles) {
  TempDir t;
  SpoolOptions o = testing::TestOptions(t.path());
  o.segment_bytes = 4096;
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  HoldingSink sink;
  ModuleWorker worker("m", q, sink);
  worker.Start();
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(testing::Put(q, {std::string(400, 'a' + i % 26)}).ok());
  }
  for (int i = 0; i < 500 && sink.records() < 30; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(sink.records(), 30u);
  EXPECT_GT(q.used_bytes(), 0u);
  const size_t segments = testing::SegmentFiles(o.dir).size();
  EXPECT_GE(segments, 3u);
  sink.SettleAll();
  EXPECT_EQ(q.used_bytes(), 0u);
  EXPECT_TRUE(worker.Stop(absl::Now() + absl::Seconds(10)));
}

}  // namespace
}  // namespace streamgate
