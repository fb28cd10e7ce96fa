// The `spool:` section of a module: defaults, the fsync forms, and errors
// that name the module, the field and the line.
#include <string>

#include "gateway/core/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

// The top-level sections the built-in adapters own.
const std::vector<std::string> kTestAdapterSections = {"grpc", "api_keys", "mqtt"};

using ::testing::HasSubstr;

std::string Module(const std::string& spool) {
  return "modules:\n"
         "  - id: kin\n"
         "    subscribe_events: [\"*\"]\n"
         "    sink: {type: stdout}\n"
         "    spool: " + spool + "\n";
}

TEST(SpoolConfigTest, NoSpoolMeansMemoryQueue) {
  auto c = ParseConfig(
      "modules: [{id: a, subscribe_events: ['*'], sink: {type: stdout}}]",
      "t", kTestAdapterSections);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->modules[0].spool.has_value());
}

TEST(SpoolConfigTest, DefaultsAreFsyncAlwaysRejectAndQuarterSegments) {
  auto c = ParseConfig(Module("{dir: /var/spool/sg/, max_bytes: 8388608}"), "t", kTestAdapterSections);
  ASSERT_TRUE(c.ok()) << c.status();
  const SpoolOptions& s = *c->modules[0].spool;
  EXPECT_EQ(s.dir, "/var/spool/sg");
  EXPECT_EQ(s.max_bytes, 8388608);
  EXPECT_TRUE(s.fsync_always);
  EXPECT_EQ(s.segment_bytes, 8388608 / 4);
  EXPECT_EQ(s.line, 5);
}

TEST(SpoolConfigTest, FsyncIntervalAsNumberOrMap) {
  auto a = ParseConfig(Module("{dir: /s, fsync: 10, when_full: reject}"), "t", kTestAdapterSections);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_FALSE(a->modules[0].spool->fsync_always);
  EXPECT_EQ(a->modules[0].spool->fsync_interval_ms, 10);
  auto b = ParseConfig(Module("{dir: /s, fsync: {interval_ms: 25}}"), "t", kTestAdapterSections);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->modules[0].spool->fsync_interval_ms, 25);
  auto c = ParseConfig(Module("{dir: /s, fsync: always, segment_bytes: 65536}"),
                       "t", kTestAdapterSections);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->modules[0].spool->fsync_always);
  EXPECT_EQ(c->modules[0].spool->segment_bytes, 65536);
}

TEST(SpoolConfigTest, ErrorsNameModuleFieldAndLine) {
  struct Case {
    std::string spool, want;
  } cases[] = {
      {"{max_bytes: 8388608}", "module 'kin': spool.dir (line 5): required"},
      {"{dir: /s, fsync: sometimes}", "spool.fsync (line 5): must be always"},
      {"{dir: /s, fsync: 0}", "spool.fsync (line 5)"},
      {"{dir: /s, fsync: {interval_ms: -1}}", "spool.fsync.interval_ms"},
      {"{dir: /s, when_full: drop}", "spool.when_full (line 5): must be reject"},
      {"{dir: /s, max_bytes: 10}", "spool.max_bytes (line 5): must be between"},
      {"{dir: /s, max_bytes: 1048576, segment_bytes: 2097152}",
       "spool.segment_bytes (line 5): must not exceed spool.max_bytes"},
      {"{dir: /s, fsynk: always}", "spool.fsynk"},
      {"/just/a/path", "module 'kin': spool"},
  };
  for (const Case& c : cases) {
    auto r = ParseConfig(Module(c.spool), "t.yaml", kTestAdapterSections);
    ASSERT_FALSE(r.ok()) << c.spool;
    EXPECT_THAT(r.status().message(), HasSubstr(c.want)) << c.spool;
  }
}

TEST(SpoolConfigTest, TwoModulesCannotShareADirectory) {
  auto r = ParseConfig(R"(modules:
  - {id: a, subscribe_events: ['*'], sink: {type: stdout}, spool: {dir: /s}}
  - {id: b, subscribe_events: ['*'], sink: {type: stdout}, spool: {dir: /s}}
)", "t", kTestAdapterSections);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("module 'b': spool.dir (line 3)"));
  EXPECT_THAT(r.status().message(), HasSubstr("spool of module 'a'"));
}

}  // namespace
}  // namespace streamgate
