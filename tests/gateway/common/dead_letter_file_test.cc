// DeadLetterFile: one line per Append, rotation before max_bytes with `keep`
// files, reopening an existing file, refused over-long lines, an unusable
// path and a full disk (RLIMIT_FSIZE) counted as lost, never torn.
#include "gateway/common/dead_letter_file.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/common/dead_letter_test_util.h"

namespace streamgate {
namespace {

using ::streamgate::testing::Exists;
using ::streamgate::testing::Lines;
using ::streamgate::testing::ReadAll;
using ::streamgate::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A 299-byte line (300 with its '\n') that says which it is.
std::string Numbered(int i) {
  std::string s = absl::StrFormat("line-%03d-", i);
  s.resize(299, 'x');
  return s;
}

std::vector<std::string> NumberedRange(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(Numbered(i));
  return out;
}

TEST(DeadLetterFileTest, AppendsOneLinePerCallAndCounts) {
  TempDir t;
  DeadLetterFile f({t.file("sub/dir/dl.jsonl"), 1 << 20, 3});
  ASSERT_TRUE(f.Open().ok());  // creates the parent directories
  EXPECT_TRUE(f.Append(R"({"a":1})"));
  EXPECT_TRUE(f.Append(R"({"b":2})"));
  EXPECT_EQ(ReadAll(t.file("sub/dir/dl.jsonl")), "{\"a\":1}\n{\"b\":2}\n");
  EXPECT_EQ(f.counters().lines_written.load(), 2u);
  EXPECT_EQ(f.counters().bytes_written.load(), 16u);
  EXPECT_EQ(f.counters().lines_lost.load(), 0u);
  EXPECT_EQ(f.counters().rotations.load(), 0u);
}

TEST(DeadLetterFileTest, OpensLazilyWithoutOpen) {
  TempDir t;
  DeadLetterFile f({t.file("dl.jsonl"), 1 << 20, 1});
  EXPECT_TRUE(f.Append("x"));
  EXPECT_EQ(ReadAll(t.file("dl.jsonl")), "x\n");
}

TEST(DeadLetterFileTest, RotatesBeforeMaxBytesAndKeepsTheNewestFiles) {
  TempDir t;
  const std::string path = t.file("dl.jsonl");
  DeadLetterFile f({path, 4096, 2});
  ASSERT_TRUE(f.Open().ok());
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(f.Append(Numbered(i))) << i;
  // 13 lines of 300 bytes fit in 4096; the 14th rotates first.
  EXPECT_EQ(Lines(path), NumberedRange(39, 40));
  EXPECT_EQ(Lines(path + ".1"), NumberedRange(26, 39));
  EXPECT_EQ(Lines(path + ".2"), NumberedRange(13, 26));
  EXPECT_FALSE(Exists(path + ".3"));  // lines 0..12 are gone: the bound
  for (const char* suffix : {"", ".1", ".2"}) {
    EXPECT_LE(ReadAll(path + suffix).size(), 4096u) << suffix;
  }
  EXPECT_EQ(f.counters().rotations.load(), 3u);
  EXPECT_EQ(f.counters().lines_written.load(), 40u);
  // Written once, then deleted by the third rotation: lost all the same.
  EXPECT_EQ(f.counters().lines_lost.load(), 13u);
}

TEST(DeadLetterFileTest, KeepZeroStartsTheFileAfresh) {
  TempDir t;
  const std::string path = t.file("dl.jsonl");
  DeadLetterFile f({path, 4096, 0});
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(f.Append(Numbered(i)));
  EXPECT_EQ(Lines(path), NumberedRange(13, 20));
  EXPECT_FALSE(Exists(path + ".1"));
  EXPECT_EQ(f.counters().lines_lost.load(), 13u);
}

TEST(DeadLetterFileTest, AnExistingFileCountsTowardsTheBound) {
  TempDir t;
  const std::string path = t.file("dl.jsonl");
  {
    DeadLetterFile f({path, 4096, 1});
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(f.Append(Numbered(i)));
  }
  DeadLetterFile f({path, 4096, 1});
  ASSERT_TRUE(f.Open().ok());
  for (int i = 10; i < 14; ++i) ASSERT_TRUE(f.Append(Numbered(i)));
  EXPECT_EQ(Lines(path + ".1"), NumberedRange(0, 13));
  EXPECT_EQ(Lines(path), NumberedRange(13, 14));
}

TEST(DeadLetterFileTest, RefusesALineOverTheBound) {
  TempDir t;
  const std::string path = t.file("dl.jsonl");
  DeadLetterFile f({path, 4096, 1});
  EXPECT_EQ(f.max_line_bytes(), 4095u);
  EXPECT_TRUE(f.Append(std::string(4095, 'a')));  // exactly fits
  EXPECT_FALSE(f.Append(std::string(4096, 'b')));
  EXPECT_EQ(f.counters().lines_lost.load(), 1u);
  EXPECT_EQ(ReadAll(path), std::string(4095, 'a') + "\n");
  EXPECT_FALSE(Exists(path + ".1"));
}

TEST(DeadLetterFileTest, ASymlinkAtThePathIsNotWrittenThrough) {
  TempDir t;
  const std::string target = t.file("target");
  ASSERT_TRUE(DeadLetterFile({target, 4096, 1}).Append("mine"));
  ASSERT_EQ(::symlink(target.c_str(), t.file("dl.jsonl").c_str()), 0);
  DeadLetterFile f({t.file("dl.jsonl"), 4096, 1});
  EXPECT_FALSE(f.Open().ok());
  EXPECT_FALSE(f.Append("planted"));
  EXPECT_EQ(f.counters().lines_lost.load(), 1u);
  EXPECT_EQ(ReadAll(target), "mine\n");
}

TEST(DeadLetterFileTest, UnusablePathIsAnErrorAndLinesAreCountedLost) {
  TempDir t;
  ASSERT_TRUE(DeadLetterFile({t.file("plain"), 4096, 1}).Append("x"));
  // A directory under a regular file cannot be created.
  DeadLetterFile f({t.file("plain/dl.jsonl"), 4096, 1});
  absl::Status st = f.Open();
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("dead_letter.path"));
  EXPECT_FALSE(f.Append("y"));
  EXPECT_FALSE(f.Append("z"));
  EXPECT_EQ(f.counters().lines_lost.load(), 2u);
  EXPECT_EQ(f.counters().lines_written.load(), 0u);
}

TEST(DeadLetterFileTest, FullDiskLosesTheLineWithoutTearingTheFile) {
  TempDir t;
  const std::string path = t.file("dl.jsonl");
  DeadLetterFile f({path, 1 << 20, 1});
  ASSERT_TRUE(f.Append("first"));
  signal(SIGXFSZ, SIG_IGN);
  rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  rlimit lim = old;
  lim.rlim_cur = 6 + 50;  // room for half of the next line
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &lim), 0);
  const bool written = f.Append(std::string(100, 'p'));
  const bool written_again = f.Append(std::string(100, 'q'));
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
  EXPECT_FALSE(written);
  EXPECT_FALSE(written_again);
  EXPECT_EQ(f.counters().lines_lost.load(), 2u);
  EXPECT_EQ(ReadAll(path), "first\n");  // the partial line was cut off
  // Space is back: writing resumes.
  EXPECT_TRUE(f.Append("after"));
  EXPECT_THAT(Lines(path), ElementsAre("first", "after"));
}

}  // namespace
}  // namespace streamgate
