// Config validation, continued: wrong types and ranges, the device registry,
// log level, the modules list, duplicate keys and file-level errors.
#include "gateway/core/config.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/core/config_test_util.h"

namespace streamgate {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::Err;
using testing::kModules;
using testing::kTestAdapterSections;
using testing::Ok;

// --- wrong types and ranges ----------------------------------------------------

TEST(TypeRuleTest, UseUuidMustBeBool) {
  EXPECT_EQ(Err("modules:\n"
                "  - id: m\n"
                "    subscribe_events: ['*']\n"
                "    use_uuid: maybe\n"
                "    sink: {type: stdout}\n"),
            "config test.yaml: module 'm': use_uuid (line 4): must be true or false");
  EXPECT_TRUE(Ok("modules:\n  - {id: m, subscribe_events: ['*'], use_uuid: true, "
                 "sink: {type: stdout}}\n").modules[0].use_uuid);
}

TEST(TypeRuleTest, MaxRecordBytesRange) {
  EXPECT_EQ(Err("limits:\n  max_record_bytes: -1\n" + std::string(kModules)),
            "config test.yaml: limits.max_record_bytes (line 2): must be between "
            "1 and 10485760, got -1");
  EXPECT_THAT(Err("limits:\n  max_record_bytes: 10485761\n" + std::string(kModules)),
              HasSubstr("limits.max_record_bytes (line 2)"));
  EXPECT_THAT(Err("limits:\n  max_record_bytes: 0\n" + std::string(kModules)),
              HasSubstr("limits.max_record_bytes (line 2)"));
  EXPECT_THAT(Err("limits:\n  max_record_bytes: 1.5\n" + std::string(kModules)),
              HasSubstr("limits.max_record_bytes (line 2): must be an integer"));
  EXPECT_THAT(Err("limits:\n  max_record_bytes: lots\n" + std::string(kModules)),
              HasSubstr("must be an integer"));
  EXPECT_EQ(Ok("limits:\n  max_record_bytes: 10485760\n" + std::string(kModules))
                .max_record_bytes, 10485760);
  EXPECT_EQ(Ok("limits:\n  max_record_bytes: 1\n" + std::string(kModules))
                .max_record_bytes, 1);
}

TEST(TypeRuleTest, QueueLimits) {
  EXPECT_THAT(Err("modules:\n"
                  "  - id: m\n"
                  "    subscribe_events: ['*']\n"
                  "    queue: {max_records: 0}\n"
                  "    sink: {type: stdout}\n"),
              StartsWith("config test.yaml: module 'm': queue.max_records (line 4): "
                         "must be between 1 and"));
  GatewayConfig c = Ok("modules:\n  - {id: m, subscribe_events: ['*'], "
                       "queue: {max_records: 7, max_bytes: 4096}, sink: {type: stdout}}\n");
  EXPECT_EQ(c.modules[0].queue.max_records, 7);
  EXPECT_EQ(c.modules[0].queue.max_bytes, 4096);
}

// --- devices -----------------------------------------------------------------

TEST(DevicesRuleTest, MissingId) {
  EXPECT_EQ(Err("devices:\n  - {home_id: 7}\n" + std::string(kModules)),
            "config test.yaml: devices[0].id (line 2): required (a positive integer)");
}

TEST(DevicesRuleTest, MissingHomeId) {
  EXPECT_EQ(Err("devices:\n  - {id: 1, home_id: 2}\n  - {id: 3, class: lamp}\n" +
                std::string(kModules)),
            "config test.yaml: devices[1].home_id (line 3): required (a positive integer)");
}

TEST(DevicesRuleTest, DuplicateId) {
  EXPECT_EQ(Err("devices:\n  - {id: 42, home_id: 7}\n  - {id: 42, home_id: 8}\n" +
                std::string(kModules)),
            "config test.yaml: devices[1].id (line 3): device 42 is listed twice");
}

TEST(DevicesRuleTest, NonPositive) {
  EXPECT_THAT(Err("devices:\n  - {id: 0, home_id: 7}\n" + std::string(kModules)),
              HasSubstr("devices[0].id (line 2): must be between 1 and"));
  EXPECT_THAT(Err("devices:\n  - {id: -4, home_id: 7}\n" + std::string(kModules)),
              HasSubstr("devices[0].id (line 2)"));
  EXPECT_THAT(Err("devices:\n  - {id: 4, home_id: 0}\n" + std::string(kModules)),
              HasSubstr("devices[0].home_id (line 2)"));
  EXPECT_THAT(Err("devices:\n  - {id: 4, home_id: -1}\n" + std::string(kModules)),
              HasSubstr("devices[0].home_id (line 2)"));
}

TEST(DevicesRuleTest, NotAList) {
  EXPECT_THAT(Err("devices: {id: 1, home_id: 2}\n" + std::string(kModules)),
              HasSubstr("devices (line 1): must be a list"));
}

// --- log level, modules list, duplicate keys ----------------------------------------------




TEST(LogLevelRuleTest, Unknown) {
  EXPECT_EQ(Err("log_level: verbose\n" + std::string(kModules)),
            "config test.yaml: log_level (line 1): must be one of trace, debug, "
            "info, warn, error, critical, off");
  EXPECT_EQ(Ok("log_level: debug\n" + std::string(kModules)).log_level, "debug");
}

TEST(ModulesRuleTest, MissingOrEmpty) {
  EXPECT_THAT(Err("log_level: info\n"), HasSubstr("modules"));
  EXPECT_THAT(Err("modules: []\n"), HasSubstr("modules (line 1): must be a non-empty list"));
  EXPECT_THAT(Err("modules: {id: m}\n"), HasSubstr("modules (line 1)"));
}

TEST(ModulesRuleTest, ModuleNotAMap) {
  EXPECT_THAT(Err("modules:\n  - just-a-string\n"),
              HasSubstr("modules[0] (line 2): must be a map"));
}

// --- file level ----------------------------------------------------------------

TEST(FileRuleTest, YamlSyntaxErrorNamesTheLine) {
  const std::string msg = Err("grpc:\n"
                              "  listen: 127.0.0.1:1\n"
                              "modules:\n"
                              "  - id: m\n"
                              "    subscribe_events: [a, b\n"
                              "    sink: {type: stdout}\n"
                              "oops: : :\n");
  EXPECT_THAT(msg, StartsWith("config test.yaml: YAML syntax error at line "));
  // Pin the line yaml-cpp reports for a simpler, unambiguous error.
  EXPECT_THAT(Err("log_level: info\n"
                  "modules:\n"
                  "  - id: m\n"
                  "     bad_indent: x\n"),
              StartsWith("config test.yaml: YAML syntax error at line 4"));
}

TEST(FileRuleTest, EmptyFile) {
  EXPECT_EQ(Err(""), "config test.yaml: the file is empty (modules are required)");
  EXPECT_EQ(Err("# only a comment\n\n"),
            "config test.yaml: the file is empty (modules are required)");
}

TEST(FileRuleTest, NotAMap) {
  EXPECT_THAT(Err("- a\n- b\n"), HasSubstr("must be a map"));
  EXPECT_THAT(Err("just text\n"), HasSubstr("must be a map"));
}

TEST(FileRuleTest, LoadConfigFileMissing) {
  auto c = LoadConfigFile("/nonexistent/streamgate/config.yaml", kTestAdapterSections);
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(std::string(c.status().message()),
              HasSubstr("/nonexistent/streamgate/config.yaml"));
}



TEST(DuplicateKeyRuleTest, TopLevelKeyNamedWithBothLines) {
  const std::string msg = Err(
      "api_keys: []\n" + std::string(kModules) +
      "api_keys:\n  - {id: k, name: n, key_sha256: x}\n");
  EXPECT_THAT(msg, HasSubstr("duplicate key 'api_keys' (lines 1 and "));
}

TEST(DuplicateKeyRuleTest, NestedKeyNamedWithItsPath) {
  const std::string msg = Err(R"(modules:
  - id: a
    subscribe_events: ["*"]
    sink:
      type: file
      path: /tmp/a
      path: /tmp/b
)");
  EXPECT_EQ(msg,
            "config test.yaml: modules[0].sink.path: duplicate key 'path' "
            "(lines 6 and 7)");
}

TEST(UnknownKeyRuleTest, AdapterSectionsAreLeftToTheirOwners) {
  EXPECT_THAT(Err("mqtt: {}\n" + std::string(kModules), {}),
              HasSubstr("mqtt (line 1): unknown field"));
  EXPECT_TRUE(ParseConfig("mqtt: {anything: 1}\n" + std::string(kModules),
                          "t", {"mqtt"}).ok());
}

}  // namespace
}  // namespace streamgate
