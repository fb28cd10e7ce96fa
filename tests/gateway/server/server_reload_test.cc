// Server::Reload (SIGHUP, issue 16.2) on a started server with file sinks:
// modules and default_home_id applied and counted; a change that needs a
// restart, or a path that cannot be created, refused and counted with the
// running config kept. Files live in a fresh temporary folder.
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gateway/server/builtin.h"
#include "gateway/server/server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Counter values by "name{k=v,...}".
class Counters : public metrics::MetricsWriter {
 public:
  void Counter(absl::string_view name, absl::string_view,
               const metrics::Labels& labels, double value) override {
    std::string key(name);
    for (const auto& [k, v] : labels) absl::StrAppend(&key, ",", k, "=", v);
    values[key] = value;
  }
  void Gauge(absl::string_view, absl::string_view, const metrics::Labels&,
             double) override {}
  void Histogram(absl::string_view, absl::string_view, const metrics::Labels&,
                 const metrics::HistogramSnapshot&) override {}
  std::map<std::string, double> values;
};

class ServerReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterBuiltinSinks(sinks_);
    RegisterBuiltinAdapters(adapters_);
    char tmpl[] = "/tmp/streamgate-server-reload-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto server = Server::Create(Parse(kV1), sinks_, adapters_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    server_.reset();
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  GatewayConfig Parse(const std::string& text) {
    auto c = ParseConfig(absl::StrReplaceAll(text, {{"DIR", dir_}}),
                         "reload.yaml", adapters_.Sections());
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : GatewayConfig();
  }

  absl::Status Reload(const std::string& text) {
    return server_->Reload(Parse(text), sinks_, /*apply_log_level=*/false);
  }

  double Reloads(const char* result) {
    Counters c;
    server_->CollectMetrics(c);
    return c.values[absl::StrCat("streamgate_config_reloads_total,result=",
                                 result)];
  }

  std::vector<std::string> Ids() {
    std::vector<std::string> ids;
    for (const auto& m : server_->pipeline().modules()) ids.push_back(m->id());
    return ids;
  }

  bool PublishUnknownDevice() {
    EventInput e;
    e.event_type = "x";
    e.origin_device_id = 77;  // not in the registry, no home of its own
    return server_->pipeline().ingester().PublishEvents({&e, 1}, {}).ok();
  }

  static constexpr char kV1[] = R"(
grpc: {listen: "127.0.0.1:0"}
modules:
  - {id: a, subscribe_events: ["*"], sink: {type: file, path: DIR/a.jsonl}}
)";

  SinkRegistry sinks_;
  AdapterRegistry adapters_;
  std::string dir_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerReloadTest, AppliesModulesAndDefaultHomeAndCountsIt) {
  EXPECT_FALSE(PublishUnknownDevice());
  ASSERT_TRUE(Reload(R"(
grpc: {listen: "127.0.0.1:0"}
default_home_id: 5
modules:
  - {id: a, subscribe_events: ["*"], sink: {type: file, path: DIR/a2.jsonl}}
  - {id: c, subscribe_events: [y], sink: {type: file, path: DIR/c.jsonl}}
)")
                  .ok());
  EXPECT_THAT(Ids(), ElementsAre("a", "c"));
  EXPECT_TRUE(PublishUnknownDevice());
  EXPECT_EQ(Reloads("ok"), 1);
  EXPECT_EQ(Reloads("refused"), 0);
  const StatusSnapshot s = server_->Snapshot();
  ASSERT_EQ(s.modules.size(), 2u);
  EXPECT_THAT(s.modules[0].target, HasSubstr("a2.jsonl"));
  EXPECT_THAT(s.modules[1].target, HasSubstr("c.jsonl"));
}

TEST_F(ServerReloadTest, ListenChangeIsRefusedAndTheConfigKept) {
  absl::Status st = Reload(R"(
grpc: {listen: "127.0.0.1:1"}
default_home_id: 5
modules:
  - {id: b, subscribe_events: ["*"], sink: {type: file, path: DIR/b.jsonl}}
)");
  EXPECT_EQ(st.message(), "grpc.listen cannot change live (restart needed)");
  EXPECT_THAT(Ids(), ElementsAre("a"));
  EXPECT_FALSE(PublishUnknownDevice());  // default_home_id not applied
  EXPECT_EQ(Reloads("refused"), 1);
  EXPECT_EQ(Reloads("ok"), 0);
}

TEST_F(ServerReloadTest, PathThatCannotBeCreatedIsRefused) {
  absl::Status st = Reload(R"(
grpc: {listen: "127.0.0.1:0"}
modules:
  - {id: a, subscribe_events: ["*"], sink: {type: file, path: DIR/a.jsonl}}
  - {id: c, subscribe_events: ["*"], sink: {type: file, path: /dev/null/c}}
)");
  EXPECT_THAT(st.message(), HasSubstr("cannot be created"));
  EXPECT_THAT(st.message(), HasSubstr("module 'c': sink.path"));
  EXPECT_THAT(Ids(), ElementsAre("a"));
  EXPECT_EQ(Reloads("refused"), 1);
}

}  // namespace
}  // namespace streamgate
