// Sink sections are validated by their factories (gateway/api/sink_registry.h),
// and Server::Create reports their errors under the config's source and the
// module's name. Create does no I/O, so these tests touch no files or ports.
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "gateway/core/config.h"
#include "gateway/api/config_reader.h"
#include "gateway/server/builtin.h"
#include "gateway/server/server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "gateway/api/sink_registry.h"
#include "yaml-cpp/yaml.h"

namespace streamgate {
namespace {

// The top-level sections the built-in adapters own.
const std::vector<std::string> kTestAdapterSections = {"grpc", "api_keys", "mqtt"};

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class SinkFactoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterBuiltinSinks(registry_);
    RegisterBuiltinAdapters(adapters_);
  }

  absl::StatusOr<std::unique_ptr<Sink>> Create(const std::string& type,
                                               const std::string& yaml) {
    const SinkFactory* f = registry_.Find(type);
    EXPECT_NE(f, nullptr) << type;
    if (f == nullptr) return absl::NotFoundError(type);
    SinkContext context;
    context.module_id = "m";
    return f->Create(ConfigReader(YAML::Load(yaml), "sink"), context);
  }

  // Builds a gateway from a config whose only module has `sink`.
  absl::Status CreateGateway(const std::string& sink_yaml) {
    auto c = ParseConfig(
        "grpc: {listen: '127.0.0.1:0'}\n"
        "modules:\n"
        "  - id: mod1\n"
        "    subscribe_events: ['*']\n"
        "    sink: " + sink_yaml + "\n",
        "test.yaml", kTestAdapterSections);
    if (!c.ok()) return c.status();
    auto g = Server::Create(std::move(*c), registry_, adapters_);
    return g.status();
  }

  SinkRegistry registry_;
  AdapterRegistry adapters_;
};

TEST_F(SinkFactoryTest, BuiltinTypesRegistered) {
  EXPECT_THAT(registry_.Types(), Contains("file"));
  EXPECT_THAT(registry_.Types(), Contains("stdout"));
  EXPECT_EQ(registry_.Find("kafka"), nullptr);
}

TEST_F(SinkFactoryTest, FileSinkValid) {
  EXPECT_TRUE(Create("file", "{type: file, path: /tmp/x.jsonl}").ok());
  EXPECT_TRUE(Create("file", "{type: file, path: /tmp/x.jsonl, fsync: true, "
                             "rotate_bytes: 1000, rotate_keep: 3}").ok());
}

TEST_F(SinkFactoryTest, FileSinkWithoutPath) {
  auto s = Create("file", "{type: file}");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()),
              StartsWith("sink.path (line 1): required"));
  EXPECT_FALSE(Create("file", "{type: file, path: ''}").ok());
}

TEST_F(SinkFactoryTest, FileSinkUnknownField) {
  auto s = Create("file", "type: file\npath: /tmp/x\npth: /tmp/y\n");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()),
              StartsWith("sink.pth (line 3): unknown field"));
}

TEST_F(SinkFactoryTest, FileSinkWrongTypes) {
  EXPECT_THAT(
      std::string(Create("file", "{type: file, path: /x, fsync: maybe}").status().message()),
      HasSubstr("sink.fsync"));
  EXPECT_THAT(
      std::string(Create("file", "{type: file, path: /x, rotate_keep: -1}").status().message()),
      HasSubstr("sink.rotate_keep"));
  EXPECT_THAT(
      std::string(Create("file", "{type: file, path: /x, rotate_bytes: big}").status().message()),
      HasSubstr("sink.rotate_bytes"));
}

TEST_F(SinkFactoryTest, StdoutSinkTakesNoOtherField) {
  EXPECT_TRUE(Create("stdout", "{type: stdout}").ok());
  auto s = Create("stdout", "{type: stdout, path: /tmp/x}");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("sink.path"));
}

TEST_F(SinkFactoryTest, ServerNamesModuleForUnknownSinkType) {
  absl::Status st = CreateGateway("{type: kafka}");
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()),
              AllOf(StartsWith("config test.yaml: module 'mod1': sink.type (line 5): unknown type 'kafka'"),
                    HasSubstr("file"), HasSubstr("stdout")));
}

TEST_F(SinkFactoryTest, ServerNamesModuleForFileSinkErrors) {
  absl::Status st = CreateGateway("{type: file}");
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(st.message()),
              StartsWith("config test.yaml: module 'mod1': sink.path (line 5): required"));
  st = CreateGateway("{type: file, path: /tmp/a, rotate: 5}");
  EXPECT_THAT(std::string(st.message()),
              StartsWith("config test.yaml: module 'mod1': sink.rotate (line 5): unknown field"));
}

TEST_F(SinkFactoryTest, ServerCreateAcceptsAValidConfig) {
  EXPECT_TRUE(CreateGateway("{type: stdout}").ok());
}

}  // namespace
}  // namespace streamgate
