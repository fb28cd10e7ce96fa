// --check-config reports every error (issue 16.4): the config's own rules
// go on past an error, Server::Create checks every module's sink and every
// adapter, and the paths a start would create are checked; a valid file
// gets the start-up summary. Files live in a fresh temporary folder.
#include "gateway/server/config_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gateway/server/builtin.h"
#include "gateway/server/server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using ::testing::StartsWith;

class ConfigCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterBuiltinSinks(sinks_);
    RegisterBuiltinAdapters(adapters_);
    char tmpl[] = "/tmp/streamgate-config-check-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }

  SinkRegistry sinks_;
  AdapterRegistry adapters_;
  std::string dir_;
};

TEST_F(ConfigCheckTest, ReportsEveryErrorWithFileAndLine) {
  Write("plain-file", "x");
  const std::string path = Write("c.yaml",
                                 "bogus: 1\n"                   // 1
                                 "devices:\n"                   // 2
                                 "  - {id: 1, home_id: 0}\n"    // 3
                                 "modules:\n"                   // 4
                                 "  - id: a\n"                  // 5
                                 "    subscribe_events: [x]\n"  // 6
                                 "    sink: {type: kafka}\n"    // 7
                                 "  - id: b\n"                  // 8
                                 "    subscribe_events: [x]\n"  // 9
                                 "    sink: {type: file}\n"     // 10
                                 "  - id: c\n"                  // 11
                                 "    subscribe_events: [x]\n"  // 12
                                 "    sink: {type: file, path: " +
                                     dir_ +
                                     "/plain-file/c.jsonl}\n"       // 13
                                     "  - id: d\n"                  // 14
                                     "    sink: {type: stdout}\n"   // 15
                                     "grpc: {listen: nowhere}\n");  // 16
  const ConfigCheck check = CheckConfigFile(path, sinks_, adapters_);
  const std::string prefix = "config " + path + ": ";
  EXPECT_THAT(
      check.errors,
      ElementsAre(
          StartsWith(prefix + "bogus (line 1): unknown field"),
          StartsWith(prefix + "devices[0].home_id (line 3): must be between"),
          StartsWith(prefix + "module 'd': subscribe_events (line 14): a "
                              "module needs"),
          StartsWith(prefix + "module 'a': sink.type (line 7): unknown type "
                              "'kafka' (known: file, kinesis, stdout)"),
          StartsWith(prefix + "module 'b': sink.path (line 10): required"),
          StartsWith(prefix + "grpc.listen (line 16): must be HOST:PORT"),
          AllOf(StartsWith(prefix + "module 'c': sink.path (line 13): cannot "
                                    "be created: "),
                HasSubstr("plain-file/c.jsonl"))));
  EXPECT_THAT(check.summary, IsEmpty());
}

TEST_F(ConfigCheckTest, SpoolAndDeadLetterPathsAreChecked) {
  Write("plain-file", "x");
  const std::string path = Write("c.yaml", "dead_letter: {path: " + dir_ +
                                               "/plain-file/dead.jsonl}\n"
                                               "modules:\n"
                                               "  - id: s\n"
                                               "    subscribe_events: [x]\n"
                                               "    sink: {type: stdout}\n"
                                               "    spool: {dir: " +
                                               dir_ + "/plain-file/spool}\n");
  const ConfigCheck check = CheckConfigFile(path, sinks_, adapters_);
  ASSERT_THAT(check.errors, SizeIs(2));
  EXPECT_THAT(check.errors[0],
              HasSubstr("module 's': spool.dir (line 6): cannot be created"));
  EXPECT_THAT(check.errors[1],
              HasSubstr("dead_letter.path (line 1): cannot be created"));
}

TEST_F(ConfigCheckTest, MissingFoldersThatCanBeMadeAreFine) {
  const std::string path = Write("c.yaml",
                                 "devices:\n"
                                 "  - {id: 5, home_id: 2}\n"
                                 "modules:\n"
                                 "  - id: archive\n"
                                 "    subscribe_events: [temp, alarm]\n"
                                 "    bulk_data_label: telemetry\n"
                                 "    sink: {type: file, path: " +
                                     dir_ +
                                     "/a/b/archive.jsonl}\n"
                                     "    spool: {dir: " +
                                     dir_ + "/a/spool}\n");
  const ConfigCheck check = CheckConfigFile(path, sinks_, adapters_);
  EXPECT_THAT(check.errors, IsEmpty());
  EXPECT_THAT(check.summary,
              ElementsAre(StartsWith("streamgate "),
                          "  input grpc: 127.0.0.1:50051 (plaintext, no api "
                          "keys (anonymous))",
                          "  module 'archive': events temp,alarm; bulk label "
                          "telemetry -> file " +
                              dir_ +
                              "/a/b/archive.jsonl; "
                              "spool " +
                              dir_ + "/a/spool",
                          "  devices: 1 in the registry"));
  // Nothing was created by the check.
  struct stat st;
  EXPECT_NE(stat((dir_ + "/a").c_str(), &st), 0);
}

TEST_F(ConfigCheckTest, UnreadableAndUnparsableFilesAreOneError) {
  ConfigCheck check =
      CheckConfigFile(dir_ + "/missing.yaml", sinks_, adapters_);
  EXPECT_THAT(check.errors, ElementsAre(HasSubstr("cannot be read")));
  check = CheckConfigFile(Write("bad.yaml", "modules: [\n"), sinks_, adapters_);
  EXPECT_THAT(check.errors, ElementsAre(HasSubstr("YAML syntax error")));
}

TEST_F(ConfigCheckTest, ParseConfigJoinsEveryErrorOnePerLine) {
  auto c = ParseConfig(
      "log_level: loud\n"
      "modules:\n"
      "  - id: 'bad id'\n"
      "    subscribe_events: [x]\n"
      "    sink: {type: stdout}\n"
      "  - id: ok\n"
      "    subscribe_events: [x]\n"
      "    sink: {type: stdout}\n"
      "  - id: ok\n"
      "    subscribe_events: [y]\n"
      "    sink: {type: stdout}\n",
      "t.yaml", adapters_.Sections());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(c.status().message()),
              testing::MatchesRegex(
                  "config t.yaml: log_level \\(line 1\\): [^\n]*\n"
                  "config t.yaml: modules\\[0\\].id \\(line 3\\): [^\n]*\n"
                  "config t.yaml: modules\\[2\\].id \\(line 9\\): module id "
                  "'ok' is used twice"));
}

}  // namespace
}  // namespace streamgate
