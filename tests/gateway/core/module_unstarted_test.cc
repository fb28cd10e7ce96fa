// Module::Stop of a module whose Start failed (a reload's successor whose
// file cannot be opened): the records its memory queue took, acknowledged
// to their senders, go to the delivery dead-letter file with the start
// error as the reason, and are counted as dead-lettered; without such a
// file Stop reports the loss.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/dead_letter_file.h"
#include "gateway/core/config.h"
#include "gateway/core/module.h"
#include "gateway/server/builtin.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

class ModuleUnstartedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterBuiltinSinks(sinks_);
    char tmpl[] = "/tmp/streamgate-unstarted-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // A regular file where the sink's folder should be: Start fails.
    std::ofstream(dir_ + "/not-a-dir") << "x";
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::unique_ptr<Module> Create(DeadLetterFile* dead_letters) {
    auto c =
        ParseConfig(absl::StrCat("modules:\n  - id: m\n    bulk_data_label: t\n"
                                 "    sink: {type: file, path: \"",
                                 dir_, "/not-a-dir/m.jsonl\"}\n"),
                    "reload.yaml", {});
    EXPECT_TRUE(c.ok()) << c.status();
    if (!c.ok()) return nullptr;
    auto m = Module::Create(c->modules[0], sinks_, dead_letters);
    EXPECT_TRUE(m.ok()) << m.status();
    return m.ok() ? *std::move(m) : nullptr;
  }

  // Queues records "r-0".."r-(n-1)" with partition key "k" (as the router
  // does: reserve, prepare, publish).
  static void Queue(Module& m, int n) {
    for (int i = 0; i < n; ++i) {
      OutBatch batch;
      batch.push_back(OutRecord{
          std::make_shared<const std::string>(absl::StrCat("r-", i)), "k"});
      QueueReservation r = m.queue().Reserve(1, batch[0].size());
      ASSERT_TRUE(r);
      ASSERT_TRUE(std::move(r).Commit(std::move(batch)).ok());
    }
  }

  std::vector<std::string> Lines(const std::string& file) {
    std::vector<std::string> out;
    std::ifstream in(dir_ + "/" + file);
    std::string line;
    while (std::getline(in, line)) out.push_back(line);
    return out;
  }

  SinkRegistry sinks_;
  std::string dir_;
};

TEST_F(ModuleUnstartedTest, QueuedRecordsGoToTheDeliveryDeadLetterFile) {
  DeadLetterOptions o;
  o.path = dir_ + "/deliveries.jsonl";
  DeadLetterFile dead_letters(o);
  ASSERT_TRUE(dead_letters.Open().ok());
  std::unique_ptr<Module> m = Create(&dead_letters);
  ASSERT_NE(m, nullptr);
  Queue(*m, 3);
  ASSERT_FALSE(m->Start().ok());
  EXPECT_TRUE(m->Stop(absl::Now() + absl::Seconds(5)));

  const std::vector<std::string> lines = Lines("deliveries.jsonl");
  ASSERT_THAT(lines, SizeIs(3));
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(lines[i], HasSubstr(R"("source":"gateway","module":"m")"));
    EXPECT_THAT(lines[i],
                HasSubstr("the module did not start after a reload: "));
    EXPECT_THAT(lines[i], HasSubstr("not-a-dir"));
    EXPECT_THAT(lines[i], HasSubstr(R"("partitionKey":"k")"));
    EXPECT_THAT(
        lines[i],
        HasSubstr(absl::StrCat(
            R"("data":")", absl::Base64Escape(absl::StrCat("r-", i)), "\"")));
  }
  EXPECT_EQ(ModuleCounters::Get(m->counters().dead_lettered), 3u);
  EXPECT_EQ(m->queue().depth(), 0u);
}

TEST_F(ModuleUnstartedTest, WithoutADeadLetterFileStopReportsTheLoss) {
  std::unique_ptr<Module> m = Create(nullptr);
  ASSERT_NE(m, nullptr);
  Queue(*m, 2);
  ASSERT_FALSE(m->Start().ok());
  EXPECT_FALSE(m->Stop(absl::Now() + absl::Seconds(5)));
}

TEST_F(ModuleUnstartedTest, AnEmptyQueueStopsCleanly) {
  std::unique_ptr<Module> m = Create(nullptr);
  ASSERT_NE(m, nullptr);
  ASSERT_FALSE(m->Start().ok());
  EXPECT_TRUE(m->Stop(absl::Now() + absl::Seconds(5)));
}

}  // namespace
}  // namespace streamgate
