// What a SIGHUP reload may change (issue 16.2): fields outside the live
// sections are refused by name, live ones pass; modules are classified as
// added, removed, changed or kept by id, by meaning rather than text.
#include "gateway/server/config_diff.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::vector<std::string> kSections = {"grpc", "api_keys", "mqtt"};

ConfigFingerprint Of(const std::string& yaml) {
  auto c = ParseConfig(yaml, "diff.yaml", kSections);
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return {};
  return FingerprintConfig(*c);
}

constexpr char kBase[] = R"(
grpc: {listen: "127.0.0.1:50051"}
metrics: {listen: "127.0.0.1:9464"}
log_level: info
modules:
  - id: a
    subscribe_events: [x]
    sink: {type: file, path: /tmp/a.jsonl}
  - id: b
    bulk_data_label: t
    sink: {type: stdout}
)";

std::string With(const std::string& from, const std::string& to) {
  std::string s = kBase;
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(ConfigDiffTest, SameConfigKeepsEveryModule) {
  auto plan = PlanReload(Of(kBase), Of(kBase));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->kept, ElementsAre("a", "b"));
  EXPECT_THAT(plan->added, IsEmpty());
  EXPECT_THAT(plan->changed, IsEmpty());
  EXPECT_THAT(plan->removed, IsEmpty());
  EXPECT_EQ(DescribePlan(*plan), "kept [a, b]");
}

TEST(ConfigDiffTest, ListenChangeIsRefusedByName) {
  auto plan =
      PlanReload(Of(kBase), Of(With("127.0.0.1:50051", "127.0.0.1:50052")));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(plan.status().message(),
            "grpc.listen cannot change live (restart needed)");
}

TEST(ConfigDiffTest, EveryFixedFieldIsNamedAddedOrRemoved) {
  // metrics removed, limits and a TLS section added: all named, sorted.
  const std::string fresh = With("metrics: {listen: \"127.0.0.1:9464\"}\n",
                                 "limits: {max_rss_bytes: 1000000000}\n");
  std::string tls = fresh;
  tls.replace(tls.find("grpc: {listen: \"127.0.0.1:50051\"}"),
              std::string("grpc: {listen: \"127.0.0.1:50051\"}").size(),
              "grpc: {listen: \"127.0.0.1:50051\", tls: {cert_file: c.pem, "
              "key_file: k.pem}}");
  auto plan = PlanReload(Of(kBase), Of(tls));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().message(),
            "grpc.tls.cert_file, grpc.tls.key_file, limits.max_rss_bytes, "
            "metrics.listen cannot change live (restart needed)");
}

TEST(ConfigDiffTest, OtherFixedSectionsAreRefused) {
  for (const std::string& extra :
       {"shutdown_timeout_ms: 2000\n", "dead_letter: {path: /tmp/dl.jsonl}\n",
        "api_keys: [{name: k, sha256: "
        "\"0000000000000000000000000000000000000000000000000000000000000000\"}"
        "]\n",
        "mqtt: {host: 127.0.0.1, client_id: gw}\n"}) {
    auto plan = PlanReload(Of(kBase), Of(extra + kBase));
    ASSERT_FALSE(plan.ok()) << extra;
    EXPECT_THAT(plan.status().message(),
                HasSubstr("cannot change live (restart needed)"))
        << extra;
  }
}

TEST(ConfigDiffTest, LiveSectionsMayChange) {
  const std::string fresh = With("log_level: info\n",
                                 "log_level: debug\ndefault_home_id: 7\n"
                                 "devices: [{id: 1, home_id: 2}]\n");
  auto plan = PlanReload(Of(kBase), Of(fresh));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->kept, ElementsAre("a", "b"));
}

TEST(ConfigDiffTest, ModulesAddedRemovedAndChangedById) {
  const std::string fresh = R"(
grpc: {listen: "127.0.0.1:50051"}
metrics: {listen: "127.0.0.1:9464"}
log_level: info
modules:
  - id: b
    bulk_data_label: t
    subscribe_events: [ping]
    sink: {type: stdout}
  - id: c
    bulk_data_label: t
    sink: {type: stdout}
)";
  auto plan = PlanReload(Of(kBase), Of(fresh));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->added, ElementsAre("c"));
  EXPECT_THAT(plan->changed, ElementsAre("b"));
  EXPECT_THAT(plan->removed, ElementsAre("a"));
  EXPECT_THAT(plan->kept, IsEmpty());
  EXPECT_EQ(DescribePlan(*plan), "added [c], changed [b], removed [a]");
}

TEST(ConfigDiffTest, SinkSettingAndQueueChangesAreChanges) {
  auto path = PlanReload(Of(kBase), Of(With("/tmp/a.jsonl", "/tmp/a2.jsonl")));
  ASSERT_TRUE(path.ok());
  EXPECT_THAT(path->changed, ElementsAre("a"));
  EXPECT_THAT(path->kept, ElementsAre("b"));
  auto queue =
      PlanReload(Of(kBase), Of(With("    sink: {type: stdout}\n",
                                    "    sink: {type: stdout}\n"
                                    "    queue: {max_records: 10}\n")));
  ASSERT_TRUE(queue.ok());
  EXPECT_THAT(queue->changed, ElementsAre("b"));
}

TEST(ConfigDiffTest, KeyOrderAndStyleAreNotChanges) {
  const std::string restyled = R"(
metrics:
  listen: 127.0.0.1:9464
log_level: "info"
grpc:
  listen: "127.0.0.1:50051"
modules:
  - sink:
      path: /tmp/a.jsonl
      type: file
    id: a
    subscribe_events:
      - x
  - {id: b, sink: {type: stdout}, bulk_data_label: t}
)";
  auto plan = PlanReload(Of(kBase), Of(restyled));
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(plan->kept, ElementsAre("a", "b"));
  EXPECT_THAT(plan->changed, IsEmpty());
}

TEST(ConfigDiffTest, ReorderedModulesAreKept) {
  const std::string swapped = R"(
grpc: {listen: "127.0.0.1:50051"}
metrics: {listen: "127.0.0.1:9464"}
log_level: info
modules:
  - id: b
    bulk_data_label: t
    sink: {type: stdout}
  - id: a
    subscribe_events: [x]
    sink: {type: file, path: /tmp/a.jsonl}
)";
  auto plan = PlanReload(Of(kBase), Of(swapped));
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(plan->kept, ElementsAre("b", "a"));
}

}  // namespace
}  // namespace streamgate
