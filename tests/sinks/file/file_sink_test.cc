// FileSink against real files in a fresh temporary directory: exact lines,
// parent folders, appending across restarts, rotation by size keeping N
// files with every line whole, base64 of binary and empty records, each
// batch reported delivered; the factory's config checks.
#include "sinks/file/file_sink.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "gateway/api/config_reader.h"
#include "sinks/file/config.h"
#include "tests/sinks/recording_metrics.h"
#include "tests/sinks/test_logger.h"
#include "yaml-cpp/yaml.h"

namespace streamgate {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

OutRecord Rec(const std::string& data, const std::string& key) {
  return OutRecord{std::make_shared<const std::string>(data), key};
}

// The line of record "record-i" (i in 0..9) with key "k", module "m".
// base64("record-") = "cmVjb3JkLT" + the last two characters per digit.
std::string Line(int i) {
  static const char* kTails[] = {"A=", "E=", "I=", "M=", "Q=",
                                 "U=", "Y=", "c=", "g=", "k="};
  return absl::StrCat("{\"module\":\"m\",\"partitionKey\":\"k\",\"data\":\"cmVjb3JkLT",
                      kTails[i], "\"}\n");
}
OutRecord Numbered(int i) { return Rec(absl::StrCat("record-", i), "k"); }

// Delivers `batch`; the sink must report every record delivered before
// Deliver returns.
void Write(Sink& sink, OutBatch batch) {
  const size_t n = batch.size();
  bool called = false;
  DeliveryReport got;
  sink.Deliver(std::move(batch), [&](const DeliveryReport& r) {
    called = true;
    got = r;
  });
  ASSERT_TRUE(called);
  EXPECT_EQ(got.delivered, n);
  EXPECT_EQ(got.dead_lettered + got.undelivered + got.retries, 0u);
}

class FileSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "filesink_test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<FileSink> Open(const FileSinkOptions& o,
                                 const std::string& module = "m") {
    auto s = std::make_unique<FileSink>(module, o, testing::TestLogger(module));
    absl::Status st = s->Start();
    EXPECT_TRUE(st.ok()) << st;
    return s;
  }

  FileSinkOptions Opts(int64_t rotate_bytes = 0, int keep = 5) {
    FileSinkOptions o;
    o.path = (dir_ / "out.jsonl").string();
    o.rotate_bytes = rotate_bytes;
    o.rotate_keep = keep;
    return o;
  }

  static std::string ReadPath(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::string Read(const std::string& suffix = "") {
    return ReadPath(dir_ / ("out.jsonl" + suffix));
  }
  bool Exists(const std::string& suffix) {
    return fs::exists(dir_ / ("out.jsonl" + suffix));
  }

  static void Finish(FileSink& s) {
    EXPECT_TRUE(s.Flush(absl::Now() + absl::Seconds(5)).ok());
    s.Close();
  }

  fs::path dir_;
};

TEST_F(FileSinkTest, ExactLines) {
  auto s = Open(Opts(), "archive");
  OutBatch b;
  b.push_back(Rec("hello", "42"));
  b.push_back(Rec(R"({"eventType":"a"})", "7"));
  Write(*s, std::move(b));
  Finish(*s);
  EXPECT_EQ(Read(),
            "{\"module\":\"archive\",\"partitionKey\":\"42\",\"data\":\"aGVsbG8=\"}\n"
            "{\"module\":\"archive\",\"partitionKey\":\"7\",\"data\":\"eyJldmVudFR5cGUiOiJhIn0=\"}\n");
}

TEST_F(FileSinkTest, BinaryAndEmptyRecords) {
  auto s = Open(Opts());
  OutBatch b;
  b.push_back(Rec(std::string("\x00\xff\x10\x80", 4), "1"));
  b.push_back(Rec("", "2"));
  b.push_back(Rec("\xfb\xff", "3"));
  b.push_back(Rec(std::string("\n", 1), "4"));
  Write(*s, std::move(b));
  Finish(*s);
  EXPECT_EQ(Read(),
            "{\"module\":\"m\",\"partitionKey\":\"1\",\"data\":\"AP8QgA==\"}\n"
            "{\"module\":\"m\",\"partitionKey\":\"2\",\"data\":\"\"}\n"
            "{\"module\":\"m\",\"partitionKey\":\"3\",\"data\":\"+/8=\"}\n"
            "{\"module\":\"m\",\"partitionKey\":\"4\",\"data\":\"Cg==\"}\n");
}

TEST_F(FileSinkTest, EmptyBatchWritesNothing) {
  auto s = Open(Opts());
  Write(*s, {});
  Finish(*s);
  EXPECT_TRUE(Exists(""));  // Start creates the file
  EXPECT_EQ(Read(), "");
}

TEST_F(FileSinkTest, CreatesParentDirectories) {
  FileSinkOptions o = Opts();
  o.path = (dir_ / "a" / "b" / "c" / "out.jsonl").string();
  auto s = Open(o);
  Write(*s, {Rec("f", "1")});
  Finish(*s);
  EXPECT_EQ(ReadPath(dir_ / "a" / "b" / "c" / "out.jsonl"),
            "{\"module\":\"m\",\"partitionKey\":\"1\",\"data\":\"Zg==\"}\n");
}

TEST_F(FileSinkTest, StartFailsNamingTheModuleWhenTheFolderCannotBeMade) {
  std::ofstream(dir_ / "plainfile") << "x";
  FileSinkOptions o = Opts();
  o.path = (dir_ / "plainfile" / "out.jsonl").string();
  FileSink s("mod7", o, testing::TestLogger("mod7"));
  absl::Status st = s.Start();
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("mod7"));
}

TEST_F(FileSinkTest, AppendsAcrossRestarts) {
  {
    auto s = Open(Opts());
    Write(*s, {Numbered(0)});
    Finish(*s);
  }
  {
    auto s = Open(Opts());
    Write(*s, {Numbered(1), Numbered(2)});
    Finish(*s);
  }
  EXPECT_EQ(Read(), Line(0) + Line(1) + Line(2));
}

TEST_F(FileSinkTest, AppendsToAFileItDidNotCreate) {
  std::ofstream(dir_ / "out.jsonl") << "existing\n";
  auto s = Open(Opts());
  Write(*s, {Numbered(3)});
  Finish(*s);
  EXPECT_EQ(Read(), "existing\n" + Line(3));
}

TEST_F(FileSinkTest, FsyncOptionWritesTheSameBytes) {
  FileSinkOptions o = Opts();
  o.fsync = true;
  auto s = Open(o);
  Write(*s, {Numbered(4)});
  Write(*s, {Numbered(5)});
  Finish(*s);
  EXPECT_EQ(Read(), Line(4) + Line(5));
}

TEST_F(FileSinkTest, LineLengthAssumption) {
  // The rotation tests below rely on every numbered line being 56 bytes.
  for (int i = 0; i < 10; ++i) ASSERT_EQ(Line(i).size(), 56u) << i;
}

// 122 bytes hold two 56-byte lines but not three.
constexpr int64_t kTwoLines = 122;

TEST_F(FileSinkTest, RotatesBySizeKeepingNFilesOneBatch) {
  auto s = Open(Opts(kTwoLines, 2));
  OutBatch b;
  for (int i = 0; i < 10; ++i) b.push_back(Numbered(i));
  Write(*s, std::move(b));
  Finish(*s);
  EXPECT_EQ(Read(), Line(8) + Line(9));
  EXPECT_EQ(Read(".1"), Line(6) + Line(7));
  EXPECT_EQ(Read(".2"), Line(4) + Line(5));
  EXPECT_FALSE(Exists(".3"));
}

TEST_F(FileSinkTest, RotatesBySizeOneRecordPerWrite) {
  auto s = Open(Opts(kTwoLines, 3));
  for (int i = 0; i < 9; ++i) Write(*s, {Numbered(i)});
  Finish(*s);
  EXPECT_EQ(Read(), Line(8));
  EXPECT_EQ(Read(".1"), Line(6) + Line(7));
  EXPECT_EQ(Read(".2"), Line(4) + Line(5));
  EXPECT_EQ(Read(".3"), Line(2) + Line(3));
  EXPECT_FALSE(Exists(".4"));
}

TEST_F(FileSinkTest, RotationNeverSplitsALineAndLosesNothingKept) {
  // Odd sizes: lines of different lengths, limit not a multiple of any.
  auto s = Open(Opts(/*rotate_bytes=*/200, /*keep=*/100));
  std::string all;
  for (int i = 0; i < 40; ++i) {
    OutBatch b;
    for (int j = 0; j <= i % 4; ++j) {
      std::string data(static_cast<size_t>(i * 2 + j), 'x');  // lines < 200 bytes
      b.push_back(Rec(data, absl::StrCat(i)));
    }
    Write(*s, std::move(b));
  }
  Finish(*s);
  // Oldest file has the highest number; every file ends at a line boundary,
  // and no file exceeds the limit (each line is below it).
  std::string joined;
  int n = 0;
  while (Exists(absl::StrCat(".", n + 1))) ++n;
  ASSERT_GT(n, 5);
  for (int i = n; i >= 0; --i) {
    const std::string text = Read(i == 0 ? "" : absl::StrCat(".", i));
    ASSERT_FALSE(text.empty()) << i;
    EXPECT_EQ(text.back(), '\n') << "file ." << i << " ends mid-line";
    EXPECT_LE(text.size(), 200u) << i;
    EXPECT_EQ(text.front(), '{') << i;
    joined += text;
  }
  // Every line is whole and they come in write order.
  std::istringstream lines(joined);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    EXPECT_THAT(line, ::testing::StartsWith("{\"module\":\"m\",\"partitionKey\":\""));
    EXPECT_EQ(line.back(), '}');
    ++count;
  }
  EXPECT_EQ(count, 40 * 10 / 4);  // 1+2+3+4 records per 4 writes
}

TEST_F(FileSinkTest, LineLargerThanTheLimitGetsAFileOfItsOwn) {
  auto s = Open(Opts(/*rotate_bytes=*/30, /*keep=*/5));
  Write(*s, {Numbered(0), Numbered(1), Numbered(2)});
  Finish(*s);
  EXPECT_EQ(Read(), Line(2));
  EXPECT_EQ(Read(".1"), Line(1));
  EXPECT_EQ(Read(".2"), Line(0));
  EXPECT_FALSE(Exists(".3"));
}

TEST_F(FileSinkTest, RotationCountsWhatTheFileAlreadyHeld) {
  {
    auto s = Open(Opts());
    Write(*s, {Numbered(0), Numbered(1)});
    Finish(*s);
  }
  auto s = Open(Opts(kTwoLines, 2));
  Write(*s, {Numbered(2)});
  Finish(*s);
  EXPECT_EQ(Read(".1"), Line(0) + Line(1));
  EXPECT_EQ(Read(), Line(2));
}

TEST_F(FileSinkTest, KeepZeroKeepsOnlyTheCurrentFile) {
  auto s = Open(Opts(kTwoLines, 0));
  Write(*s, {Numbered(0), Numbered(1), Numbered(2), Numbered(3), Numbered(4)});
  Finish(*s);
  EXPECT_EQ(Read(), Line(4));
  EXPECT_FALSE(Exists(".1"));
}

TEST_F(FileSinkTest, ThroughTheFactory) {
  const std::string path = (dir_ / "sub" / "f.jsonl").string();
  auto sink = MakeFileSinkFactory()->Create(
      ConfigReader(YAML::Load("{type: file, path: '" + path +
                              "', rotate_bytes: 122, rotate_keep: 1, fsync: on}"),
                   "sink"),
      SinkContext{"m", false, nullptr, testing::TestLogger("m")});
  ASSERT_TRUE(sink.ok()) << sink.status();
  ASSERT_TRUE((*sink)->Start().ok());
  Write(**sink, {Numbered(0), Numbered(1), Numbered(2)});
  ASSERT_TRUE((*sink)->Flush(absl::Now() + absl::Seconds(5)).ok());
  (*sink)->Close();
  EXPECT_EQ(ReadPath(fs::path(path)), Line(2));
  EXPECT_EQ(ReadPath(fs::path(path + ".1")), Line(0) + Line(1));
  EXPECT_FALSE(fs::exists(path + ".2"));
}

// Delivered, dead-lettered and retried are the module's, from the delivery
// reports: the sink itself has no metrics of its own.
TEST_F(FileSinkTest, ReportsNothingTheModuleCounts) {
  auto s = Open(Opts());
  testing::RecordingWriter out;
  s->CollectMetrics(out);
  EXPECT_TRUE(out.samples().empty());
}

TEST(FileSinkFactoryTest, ErrorsNameTheFieldAndLine) {
  auto factory = MakeFileSinkFactory();
  EXPECT_EQ(factory->type(), "file");
  const std::pair<const char*, const char*> cases[] = {
      {"type: file\n", "sink.path (line 1): required (the file to append to)"},
      {"type: file\npath: ''\n", "sink.path (line 1): required (the file to append to)"},
      {"type: file\npath: /x\nfsync: maybe\n", "sink.fsync (line 3): must be true or false"},
      {"type: file\npath: /x\nrotate_keep: 5000\n",
       "sink.rotate_keep (line 3): must be between 0 and 1000, got 5000"},
      {"type: file\npath: /x\nrotate_bytes: lots\n",
       "sink.rotate_bytes (line 3): must be an integer"},
      {"type: file\npath: /x\nrotate: 1\n",
       "sink.rotate (line 3): unknown field (expected one of: type, path, fsync, "
       "rotate_bytes, rotate_keep, mode)"},
  };
  for (const auto& [yaml, want] : cases) {
    auto s = factory->Create(ConfigReader(YAML::Load(yaml), "sink"),
                             SinkContext{"m", false, nullptr, testing::TestLogger("m")});
    ASSERT_FALSE(s.ok()) << yaml;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(s.status().message(), want) << yaml;
  }
}

}  // namespace
}  // namespace streamgate
