// FileSink and the files it makes (issue 15, item 7): the creation mode
// (0640 by default, `mode` from the config), a symlink planted at the path
// refused rather than written through, and a failing fdatasync (through
// a sync call injected through FileSinkOptions::sync) logged, with the
// batch written again and reported delivered only once synced.
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "gateway/api/config_reader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sinks/file/config.h"
#include "sinks/file/file_sink.h"
#include "tests/sinks/test_logger.h"
#include "yaml-cpp/yaml.h"

namespace streamgate {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::HasSubstr;

OutRecord Rec(const std::string& data) {
  return OutRecord{std::make_shared<const std::string>(data), "k"};
}

std::string ReadPath(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

mode_t ModeOf(const fs::path& p) {
  struct stat st;
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

class FileSinkFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (fs::temp_directory_path() / "filesink_files.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    old_umask_ = ::umask(022);
  }
  void TearDown() override {
    ::umask(old_umask_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  absl::StatusOr<std::unique_ptr<Sink>> FromYaml(const std::string& extra) {
    return MakeFileSinkFactory()->Create(
        ConfigReader(
            YAML::Load("{type: file, path: '" + path() + "'" + extra + "}"),
            "sink"),
        SinkContext{"m", false, nullptr, testing::TestLogger("m")});
  }
  std::string path() const { return (dir_ / "out.jsonl").string(); }

  fs::path dir_;
  mode_t old_umask_ = 0;
};

TEST_F(FileSinkFilesTest, CreatesTheFileAndItsRotationsWith0640) {
  auto sink = FromYaml(", rotate_bytes: 10, rotate_keep: 1");
  ASSERT_TRUE(sink.ok()) << sink.status();
  ASSERT_TRUE((*sink)->Start().ok());
  (*sink)->Deliver({Rec("one"), Rec("two")}, nullptr);  // rotates once
  (*sink)->Close();
  EXPECT_EQ(ModeOf(path()), 0640u);
  EXPECT_EQ(ModeOf(path() + ".1"), 0640u);
}

TEST_F(FileSinkFilesTest, ModeFromTheConfig) {
  auto sink = FromYaml(", mode: '0600'");
  ASSERT_TRUE(sink.ok()) << sink.status();
  ASSERT_TRUE((*sink)->Start().ok());
  (*sink)->Close();
  EXPECT_EQ(ModeOf(path()), 0600u);
}

TEST_F(FileSinkFilesTest, ModeMustBeOctalWithOwnerWrite) {
  for (const char* bad :
       {"'rw-r-----'", "'0890'", "'0440'", "'07777'", "640x"}) {
    auto sink = FromYaml(std::string(", mode: ") + bad);
    ASSERT_FALSE(sink.ok()) << bad;
    EXPECT_THAT(std::string(sink.status().message()),
                HasSubstr("sink.mode (line 1): must be an octal mode"))
        << bad;
  }
}

TEST_F(FileSinkFilesTest, ASymlinkAtThePathIsRefusedNotFollowed) {
  const fs::path target = dir_ / "precious";
  std::ofstream(target) << "keep me\n";
  fs::create_symlink(target, path());
  FileSink s("m", FileSinkOptions{path()}, testing::TestLogger("m"));
  absl::Status st = s.Start();
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("cannot open " + path()));
  EXPECT_EQ(ReadPath(target), "keep me\n");
}

TEST_F(FileSinkFilesTest, AFailedFdatasyncIsLoggedAndTheBatchWrittenAgain) {
  std::shared_ptr<testing::MemoryLogSink> log;
  FileSinkOptions o{path()};
  o.fsync = true;
  // A disk that fails the next data sync with EIO, then recovers.
  int failures_left = 0;
  int calls = 0;
  o.sync = [&](int fd) {
    ++calls;
    if (failures_left > 0) {
      --failures_left;
      errno = EIO;
      return -1;
    }
    return ::fdatasync(fd);
  };
  FileSink s("m", o, testing::TestLogger("m", log));
  ASSERT_TRUE(s.Start().ok());
  failures_left = 1;
  const int calls_before = calls;
  bool done = false;
  s.Deliver({Rec("a")}, [&](const DeliveryReport& r) {
    done = true;
    EXPECT_EQ(r.delivered, 1u);
  });
  EXPECT_TRUE(done);
  EXPECT_EQ(failures_left, 0);
  // One failed sync, then the rewrite and a sync that succeeded.
  EXPECT_EQ(calls - calls_before, 2);
  EXPECT_THAT(
      log->Messages(),
      Contains(HasSubstr("fdatasync failed: fdatasync: Input/output error")));
  s.Close();
  const std::string line =
      "{\"module\":\"m\",\"partitionKey\":\"k\",\"data\":\"YQ==\"}\n";
  EXPECT_EQ(ReadPath(path()), line + line);  // at least once: written twice
}

}  // namespace
}  // namespace streamgate
