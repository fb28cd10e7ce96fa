// The spool's files on disk: created with spool.file_mode (0640 by
// default), never opened through a symbolic link in their place (LOCK, a
// segment, the checkpoint and its temporary file), and a checkpoint that
// fails on a full disk logged once per interval with a count.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gateway/spool/segment_collector.h"
#include "gateway/spool/spool_queue.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ostream_sink.h"
#include "tests/fakes/fault_spool_env.h"
#include "tests/gateway/spool/spool_test_util.h"

namespace streamgate {
namespace {

using testing::Eventually;
using testing::FaultSpoolEnv;
using ::testing::HasSubstr;
using testing::PopAll;
using testing::PutRange;
using testing::TempDir;
using testing::TestOptions;

uint32_t Mode(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// umask 022 for the test's lifetime, so the modes read back are the spool's.
class SpoolFilesTest : public ::testing::Test {
 protected:
  SpoolFilesTest() : old_(umask(022)) {}
  ~SpoolFilesTest() override { umask(old_); }

 private:
  const mode_t old_;
};

void ExpectFilesHaveMode(SpoolOptions o, uint32_t want) {
  SpoolQueue q("m", o);
  ASSERT_TRUE(q.Start().ok());
  PutRange(q, "r", 0, 10);
  EXPECT_EQ(PopAll(q).size(), 10u);
  const std::string checkpoint = o.dir + "/checkpoint";
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(checkpoint); }));
  EXPECT_EQ(Mode(o.dir + "/LOCK"), want);
  EXPECT_EQ(Mode(checkpoint), want);
  for (const std::string& seg : testing::SegmentFiles(o.dir)) {
    EXPECT_EQ(Mode(seg), want) << seg;
  }
}

TEST_F(SpoolFilesTest, FilesAreCreated0640ByDefault) {
  TempDir t;
  ExpectFilesHaveMode(TestOptions(t.path()), 0640);
}

TEST_F(SpoolFilesTest, FilesTakeTheConfiguredMode) {
  TempDir t;
  SpoolOptions o = TestOptions(t.path());
  o.file_mode = 0600;
  ExpectFilesHaveMode(o, 0600);
}

// A symbolic link where a spool file goes: Start fails naming it, and the
// link's target is neither created nor written.
// The message reads "<where>: <before><path><after> is a symbolic link...".
void ExpectLinkRefused(const std::string& name, const std::string& before,
                       const std::string& after) {
  TempDir t;
  const SpoolOptions o = TestOptions(t.path());
  const std::string expected = before + o.dir + "/" + name + after;
  std::filesystem::create_directories(o.dir);
  const std::string target = t.path() + "/elsewhere";
  std::filesystem::create_symlink(target, o.dir + "/" + name);
  SpoolQueue q("m", o);
  absl::Status st = q.Start();
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << st;
  EXPECT_EQ(st.message(),
            absl::StrCat("module 'm': spool ", o.dir, ": ", expected,
                         " is a symbolic link; the spool does not follow "
                         "links in place of its files"));
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST_F(SpoolFilesTest, SymlinkInPlaceOfLockIsRefused) {
  ExpectLinkRefused("LOCK", "", "");
}

TEST_F(SpoolFilesTest, SymlinkInPlaceOfASegmentIsRefused) {
  ExpectLinkRefused("seg-00000000000000000001.log", "cannot open ", ":");
}

TEST_F(SpoolFilesTest, SymlinkInPlaceOfTheCheckpointIsRefused) {
  ExpectLinkRefused("checkpoint", "cannot read ", ":");
}

// Log lines of a logger, for the tests to read.
class CapturedLog {
 public:
  CapturedLog()
      : logger_(std::make_shared<spdlog::logger>(
            "spool", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_))) {
    logger_->set_pattern("%l %v");
  }
  std::shared_ptr<spdlog::logger> logger() const { return logger_; }
  std::vector<std::string> lines() {
    logger_->flush();
    std::vector<std::string> v = absl::StrSplit(out_.str(), '\n');
    if (!v.empty() && v.back().empty()) v.pop_back();
    return v;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> logger_;
};

TEST(SpoolCheckpointLogTest, SymlinkInPlaceOfTheTemporaryFileIsRefused) {
  FaultSpoolEnv env;
  CapturedLog log;
  ASSERT_TRUE(env.CreateDir("/disk/spool").ok());
  env.MakeSymlink("/disk/spool/checkpoint.tmp");
  spool::SpoolContext context(&env, "/disk/spool",
                              "module 'm': spool /disk/spool", log.logger());
  spool::SegmentCollector collector(context);
  collector.Collect({}, spool::Position{1, 100});
  EXPECT_THAT(log.lines(),
              ::testing::ElementsAre(
                  "error spool /disk/spool: checkpoint: "
                  "/disk/spool/checkpoint.tmp: is a symbolic link; the spool "
                  "does not follow links in place of its files"));
  EXPECT_THAT(env.Files("/disk/spool"), ::testing::IsEmpty());
}

TEST(SpoolCheckpointLogTest, FullDiskIsLoggedOncePerIntervalWithACount) {
  FaultSpoolEnv env;
  CapturedLog log;
  ASSERT_TRUE(env.CreateDir("/disk/spool").ok());
  env.SetDiskBytes(0);
  spool::SpoolContext context(&env, "/disk/spool",
                              "module 'm': spool /disk/spool", log.logger());
  absl::Time now = absl::FromUnixSeconds(1700000000);
  spool::SegmentCollector collector(context, [&] { return now; });
  for (int i = 0; i < 10; ++i) {
    collector.Collect({}, spool::Position{1, 100u + i});
    now += absl::Milliseconds(100);
  }
  ASSERT_EQ(log.lines().size(), 1u);
  EXPECT_EQ(log.lines()[0],
            "error spool /disk/spool: checkpoint: /disk/spool/checkpoint.tmp: "
            "No space left on device");
  now += spool::kCheckpointLogEvery;
  collector.Collect({}, spool::Position{1, 200});
  ASSERT_EQ(log.lines().size(), 2u);
  EXPECT_EQ(log.lines()[1],
            "error spool /disk/spool: checkpoint: /disk/spool/checkpoint.tmp: "
            "No space left on device (9 more failures since the last line)");
  // Space comes back: the checkpoint is written, nothing more is logged.
  env.SetDiskBytes(std::numeric_limits<uint64_t>::max());
  collector.Collect({}, spool::Position{1, 300});
  EXPECT_EQ(log.lines().size(), 2u);
  auto cp = spool::ReadCheckpoint(env, "/disk/spool");
  ASSERT_TRUE(cp.ok() && cp->has_value());
  EXPECT_EQ((*cp)->offset, 300u);
}

}  // namespace
}  // namespace streamgate
