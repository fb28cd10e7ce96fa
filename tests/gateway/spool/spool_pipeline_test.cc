// The spool in the pipeline: the core's Pipeline publishing into spooled
// modules whose sink never settles anything, a shutdown that leaves every
// batch undelivered, a restart, and every acknowledged record coming out in
// order; and the module's worker freeing spool storage only once the sink
// settles a batch.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/core/config.h"
#include "gateway/core/pipeline.h"
#include "gateway/spool/spool_queue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/holding_sink.h"
#include "tests/gateway/spool/spool_test_util.h"

namespace streamgate {
namespace {

using testing::HoldingSinkFactory;
using testing::TempDir;

EventInput Event(absl::string_view type, int64_t home_id) {
  EventInput e;
  e.event_type = type;
  e.home_id = home_id;
  e.timestamp = absl::FromUnixSeconds(1700000000);
  return e;
}

// The homeIds of rendered events, in order.
std::vector<std::string> Homes(const std::vector<std::string>& data) {
  std::vector<std::string> out;
  for (const std::string& d : data) {
    const size_t at = d.find("\"homeId\":");
    size_t end = at + 9;
    while (end < d.size() && d[end] >= '0' && d[end] <= '9') ++end;
    out.push_back(d.substr(at + 9, end - at - 9));
  }
  return out;
}

bool WaitFor(const std::function<bool()>& done) {
  for (int i = 0; i < 1000; ++i) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return done();
}

struct Built {
  SinkRegistry sinks;
  HoldingSinkFactory* factory = nullptr;
  std::unique_ptr<Pipeline> pipeline;
};

void Build(const GatewayConfig& config, Built& b) {
  auto factory = std::make_unique<HoldingSinkFactory>("stdout");
  b.factory = factory.get();
  b.sinks.Register(std::move(factory));
  auto p = Pipeline::Create(config, b.sinks);
  ASSERT_TRUE(p.ok()) << p.status();
  b.pipeline = *std::move(p);
  ASSERT_TRUE(b.pipeline->Start().ok());
}

TEST(SpoolPipelineTest, AcknowledgedRecordsSurviveAStopWithNothingDelivered) {
  TempDir t;
  auto config = ParseConfig(absl::StrCat(R"(modules:
  - {id: all, subscribe_events: ["*"], sink: {type: stdout},
     spool: {dir: )", t.path(), R"(/all, fsync: 5, segment_bytes: 8192}}
  - {id: alarms, subscribe_events: [alarm], sink: {type: stdout},
     spool: {dir: )", t.path(), R"(/alarms, fsync: always}}
)"), "t", {});
  ASSERT_TRUE(config.ok()) << config.status();
  constexpr int kEvents = 500;
  std::vector<std::string> want_all, want_alarms;
  {
    Built b;
    Build(*config, b);
    for (int i = 1; i <= kEvents; ++i) {
      const char* type = i % 3 == 0 ? "alarm" : "door";
      ASSERT_TRUE(b.pipeline->ingest().PublishEvents({Event(type, i)}, {}).ok())
          << i;
      want_all.push_back(absl::StrCat(i));
      if (i % 3 == 0) want_alarms.push_back(absl::StrCat(i));
    }
    // The sinks hold what they were given; the stop reports it undelivered.
    EXPECT_TRUE(b.pipeline->Stop(absl::Now() + absl::Seconds(10)));
  }
  Built b;
  Build(*config, b);
  auto& spool = dynamic_cast<SpoolQueue&>(b.pipeline->modules()[0]->queue());
  EXPECT_EQ(spool.stats().replayed_records.load(),
            static_cast<uint64_t>(kEvents));
  ASSERT_TRUE(b.pipeline->ingest().PublishEvents({Event("alarm", 9999)}, {}).ok());
  want_all.push_back("9999");
  want_alarms.push_back("9999");
  const auto& modules = b.pipeline->modules();
  ASSERT_TRUE(WaitFor([&] {
    return modules[0]->counters().written_records.load() == want_all.size() &&
           modules[1]->counters().written_records.load() == want_alarms.size();
  }));
  EXPECT_TRUE(b.pipeline->Stop(absl::Now() + absl::Seconds(10)));
  EXPECT_EQ(Homes(b.factory->sink(0)->data()), want_all);
  EXPECT_EQ(Homes(b.factory->sink(1)->data()), want_alarms);
}

TEST(SpoolPipelineTest, WorkerFreesSpoolOnlyWhenTheSinkSettles) {
  TempDir t;
  auto config = ParseConfig(absl::StrCat(R"(modules:
  - {id: m, subscribe_events: ["*"], sink: {type: stdout},
     spool: {dir: )", t.path(), R"(/m, fsync: always, segment_bytes: 4096}}
)"), "t", {});
  ASSERT_TRUE(config.ok()) << config.status();
  Built b;
  Build(*config, b);
  auto& spool = dynamic_cast<SpoolQueue&>(b.pipeline->modules()[0]->queue());
  for (int i = 1; i <= 100; ++i) {
    ASSERT_TRUE(b.pipeline->ingest().PublishEvents({Event("x", i)}, {}).ok());
  }
  testing::HoldingSink* sink = b.factory->sink(0);
  ASSERT_TRUE(WaitFor([&] { return sink->records() == 100; }));
  EXPECT_GT(spool.used_bytes(), 0u);
  EXPECT_GE(testing::SegmentFiles(t.path() + "/m").size(), 2u);
  sink->SettleAll();
  EXPECT_EQ(spool.used_bytes(), 0u);
  EXPECT_EQ(b.pipeline->modules()[0]->counters().delivered.load(), 100u);
  EXPECT_EQ(Homes(sink->data()).front(), "1");
  EXPECT_TRUE(b.pipeline->Stop(absl::Now() + absl::Seconds(10)));
}

}  // namespace
}  // namespace streamgate
