// RotatingFile (gateway/common/rotating_file.h): appending, the size rule
// (NeedsRotation), the rename chain with `keep` files and with none, the
// lines of a deleted file counted, an oldest file that cannot be deleted,
// the creation mode, a symlink refused, and a write that cannot finish cut
// back off so the file never ends in a torn line.
#include "gateway/common/rotating_file.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/common/dead_letter_test_util.h"

namespace streamgate {
namespace {

using ::streamgate::testing::Exists;
using ::streamgate::testing::ReadAll;
using ::streamgate::testing::TempDir;
using ::testing::HasSubstr;

RotatingFileOptions Options(const std::string& path, int64_t max_bytes,
                            int64_t keep) {
  RotatingFileOptions o;
  o.path = path;
  o.max_bytes = max_bytes;
  o.keep = keep;
  return o;
}

TEST(RotatingFileTest, AppendsAndCountsWhatTheFileHeld) {
  TempDir t;
  const std::string path = t.file("a/b/out");
  {
    RotatingFile f(Options(path, 0, 1));
    EXPECT_FALSE(f.is_open());
    EXPECT_FALSE(f.Write("x\n").ok());  // not open yet
    ASSERT_TRUE(f.Open().ok());         // creates a/b
    ASSERT_TRUE(f.Write("one\n").ok());
    EXPECT_EQ(f.size(), 4u);
  }
  RotatingFile f(Options(path, 0, 1));
  ASSERT_TRUE(f.Open().ok());
  EXPECT_EQ(f.size(), 4u);  // reopening appends
  ASSERT_TRUE(f.Write("two\n").ok());
  EXPECT_EQ(ReadAll(path), "one\ntwo\n");
  EXPECT_FALSE(f.NeedsRotation(1u << 30));  // max_bytes 0: never
}

TEST(RotatingFileTest, NeedsRotationOnlyWhenANonEmptyFileWouldPassTheBound) {
  TempDir t;
  RotatingFile f(Options(t.file("out"), 10, 1));
  ASSERT_TRUE(f.Open().ok());
  EXPECT_FALSE(f.NeedsRotation(100));  // empty: a big write gets the file
  ASSERT_TRUE(f.Write("12345").ok());
  EXPECT_FALSE(f.NeedsRotation(5));  // exactly at the bound
  EXPECT_TRUE(f.NeedsRotation(6));
}

TEST(RotatingFileTest, RotateShiftsAndDropsTheOldest) {
  TempDir t;
  const std::string path = t.file("out");
  RotatingFile f(Options(path, 4, 2));
  ASSERT_TRUE(f.Open().ok());
  for (const char* line : {"a\n", "b\n", "c\n", "d\n"}) {
    ASSERT_TRUE(f.Rotate().ok());
    ASSERT_TRUE(f.Write(line).ok());
  }
  EXPECT_EQ(ReadAll(path), "d\n");
  EXPECT_EQ(ReadAll(path + ".1"), "c\n");
  EXPECT_EQ(ReadAll(path + ".2"), "b\n");
  EXPECT_FALSE(Exists(path + ".3"));
  EXPECT_EQ(f.size(), 2u);
}

TEST(RotatingFileTest, KeepZeroStartsAfresh) {
  TempDir t;
  const std::string path = t.file("out");
  RotatingFile f(Options(path, 4, 0));
  ASSERT_TRUE(f.Open().ok());
  ASSERT_TRUE(f.Write("a\n").ok());
  ASSERT_TRUE(f.Rotate().ok());
  ASSERT_TRUE(f.Write("b\n").ok());
  EXPECT_EQ(ReadAll(path), "b\n");
  EXPECT_FALSE(Exists(path + ".1"));
}

TEST(RotatingFileTest, RotateCountsTheLinesOfTheFileItDeletes) {
  TempDir t;
  const std::string path = t.file("out");
  RotatingFile f(Options(path, 4, 1));
  ASSERT_TRUE(f.Open().ok());
  ASSERT_TRUE(f.Write("a\nb\n").ok());
  uint64_t dropped = 0;
  ASSERT_TRUE(f.Rotate(&dropped).ok());  // out -> out.1, nothing deleted
  EXPECT_EQ(dropped, 0u);
  ASSERT_TRUE(f.Write("c\n").ok());
  ASSERT_TRUE(f.Rotate(&dropped).ok());  // out.1 ("a", "b") deleted
  EXPECT_EQ(dropped, 2u);
  EXPECT_EQ(ReadAll(path + ".1"), "c\n");

  RotatingFile none(Options(t.file("none"), 4, 0));
  ASSERT_TRUE(none.Open().ok());
  ASSERT_TRUE(none.Write("x\ny\nz\n").ok());
  dropped = 0;
  ASSERT_TRUE(none.Rotate(&dropped).ok());
  EXPECT_EQ(dropped, 3u);
}

TEST(RotatingFileTest, AnOldestFileThatCannotBeDeletedIsReported) {
  TempDir t;
  const std::string path = t.file("out");
  // A non-empty directory where the oldest file is cannot be unlinked.
  ASSERT_EQ(::mkdir((path + ".1").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((path + ".1/x").c_str(), 0755), 0);
  RotatingFile f(Options(path, 4, 1));
  ASSERT_TRUE(f.Open().ok());
  ASSERT_TRUE(f.Write("a\n").ok());
  absl::Status st = f.Rotate();
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("cannot remove " + path + ".1"));
  // Nothing shifted over the directory; the file stays usable.
  EXPECT_TRUE(f.is_open());
  ASSERT_TRUE(f.Write("b\n").ok());
  EXPECT_EQ(ReadAll(path), "a\nb\n");
}

TEST(RotatingFileTest, CreatesFilesWithTheConfiguredMode) {
  TempDir t;
  const mode_t old_umask = ::umask(022);
  RotatingFile f(Options(t.file("default"), 0, 0));
  ASSERT_TRUE(f.Open().ok());
  RotatingFileOptions o = Options(t.file("own"), 0, 0);
  o.mode = 0600;
  RotatingFile own(o);
  ASSERT_TRUE(own.Open().ok());
  ::umask(old_umask);
  struct stat st;
  ASSERT_EQ(::stat(t.file("default").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  ASSERT_EQ(::stat(t.file("own").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(RotatingFileTest, RefusesASymlinkAtThePath) {
  TempDir t;
  const std::string target = t.file("target");
  const std::string path = t.file("out");
  { RotatingFile(Options(target, 0, 0)).Open().IgnoreError(); }
  ASSERT_EQ(::symlink(target.c_str(), path.c_str()), 0);
  RotatingFile f(Options(path, 0, 0));
  absl::Status st = f.Open();
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("cannot open " + path));
  EXPECT_FALSE(f.is_open());
  EXPECT_EQ(ReadAll(target), "");
}

TEST(RotatingFileTest, OpenErrorsNameThePath) {
  TempDir t;
  ASSERT_TRUE(RotatingFile(Options(t.file("plain"), 0, 0)).Open().ok());
  RotatingFile f(Options(t.file("plain/out"), 0, 0));
  absl::Status st = f.Open();
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("cannot create " + t.file("plain")));
  EXPECT_FALSE(f.is_open());
}

TEST(RotatingFileTest, AWriteThatCannotFinishIsCutOff) {
  TempDir t;
  const std::string path = t.file("out");
  RotatingFile f(Options(path, 0, 0));
  ASSERT_TRUE(f.Open().ok());
  ASSERT_TRUE(f.Write("first\n").ok());
  signal(SIGXFSZ, SIG_IGN);
  rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit lim = old;
  lim.rlim_cur = 6 + 50;  // room for half of the next write
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
  absl::Status st = f.Write(std::string(100, 'p') + "\n");
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(ReadAll(path), "first\n");
  EXPECT_EQ(f.size(), 6u);
  ASSERT_TRUE(f.Write("after\n").ok());
  EXPECT_EQ(ReadAll(path), "first\nafter\n");
}

}  // namespace
}  // namespace streamgate
