// All-or-nothing across modules when a spool cannot store an input: two
// spooled modules take every event; the second's write (full disk) or sync
// (I/O error) fails; the client gets that error and the first module, which
// had already written the input, never delivers it. Inputs before and after
// are delivered by both.
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fault_spool_env.h"
#include "tests/gateway/spool/spool_test_util.h"
#include "tests/gateway/spool/spooled_ingest.h"

namespace streamgate {
namespace {

using testing::FaultSpoolEnv;
using ::testing::HasSubstr;
using testing::PopAll;
using testing::SpooledIngest;

constexpr char kTwoModules[] = R"(modules:
  - {id: first, subscribe_events: ["*"], sink: {type: stdout}}
  - {id: second, subscribe_events: ["*"], sink: {type: stdout}}
)";

IngestResult Publish(SpooledIngest& s, int64_t home) {
  EventInput e;
  e.event_type = "reading";
  e.home_id = home;
  e.timestamp = absl::FromUnixSeconds(1700000000);
  return s.ingest().PublishEvents({e}, {});
}

// The homeIds of the rendered events a queue hands out.
std::vector<std::string> Homes(ModuleQueue& q) {
  std::vector<std::string> homes;
  for (const std::string& d : PopAll(q)) {
    const size_t at = d.find("\"homeId\":");
    homes.push_back(at == std::string::npos
                        ? d
                        : d.substr(at + 9, d.find_first_of(",}", at) - at - 9));
  }
  return homes;
}

TEST(SpoolAllOrNothingTest, FullDiskInTheSecondModuleKeepsItFromTheFirst) {
  FaultSpoolEnv first_disk, second_disk;
  SpooledIngest s;
  ASSERT_TRUE(s.Start(kTwoModules, {&first_disk, &second_disk}).ok());
  ASSERT_TRUE(Publish(s, 1).ok());
  second_disk.SetDiskBytes(second_disk.UsedBytes());  // full from now on
  const IngestResult refused = Publish(s, 2);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(refused.message(),
              HasSubstr("module 'second': spool /disk/second"));
  EXPECT_THAT(refused.message(), HasSubstr("No space left on device"));
  second_disk.SetDiskBytes(std::numeric_limits<uint64_t>::max());
  ASSERT_TRUE(Publish(s, 3).ok());
  EXPECT_THAT(Homes(s.queue(0)), ::testing::ElementsAre("1", "3"));
  EXPECT_THAT(Homes(s.queue(1)), ::testing::ElementsAre("1", "3"));
}

TEST(SpoolAllOrNothingTest, FailedSyncInTheSecondModuleKeepsItFromTheFirst) {
  FaultSpoolEnv first_disk, second_disk;
  SpooledIngest s;
  ASSERT_TRUE(s.Start(kTwoModules, {&first_disk, &second_disk}).ok());
  ASSERT_TRUE(Publish(s, 1).ok());
  second_disk.FailSyncs(absl::UnavailableError("Input/output error"), 1);
  const IngestResult refused = Publish(s, 2);
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(refused.message(), HasSubstr("module 'second'"));
  EXPECT_THAT(refused.message(), HasSubstr("Input/output error"));
  ASSERT_TRUE(Publish(s, 3).ok());
  EXPECT_THAT(Homes(s.queue(0)), ::testing::ElementsAre("1", "3"));
  EXPECT_THAT(Homes(s.queue(1)), ::testing::ElementsAre("1", "3"));
  EXPECT_EQ(s.queue(0).depth(), 0u);
}

}  // namespace
}  // namespace streamgate
