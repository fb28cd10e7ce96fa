// Pipeline::ReplaceModules (issue 16.2) with real file sinks in a fresh
// temporary folder: a removed module drains into its file before the call
// returns, a changed one drains and its successor writes the new file
// (reopening the same spool folder), an added one starts, a kept one is
// the same object; a module that does not build changes nothing; inputs
// published while the table switches are each routed by exactly one table.
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gateway/core/pipeline.h"
#include "gateway/server/builtin.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Module labels of every metric written.
class ModuleLabels : public metrics::MetricsWriter {
 public:
  void Counter(absl::string_view, absl::string_view,
               const metrics::Labels& labels, double) override {
    Note(labels);
  }
  void Gauge(absl::string_view, absl::string_view,
             const metrics::Labels& labels, double) override {
    Note(labels);
  }
  void Histogram(absl::string_view, absl::string_view,
                 const metrics::Labels& labels,
                 const metrics::HistogramSnapshot&) override {
    Note(labels);
  }
  std::set<std::string> modules;

 private:
  void Note(const metrics::Labels& labels) {
    for (const auto& [k, v] : labels) {
      if (k == "module") modules.insert(v);
    }
  }
};

class PipelineReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterBuiltinSinks(sinks_);
    char tmpl[] = "/tmp/streamgate-reload-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (pipeline_) pipeline_->Stop(absl::Now() + absl::Seconds(10));
    pipeline_.reset();
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  // `modules`: "ID:FILE" or "ID:FILE:spool" entries, each taking label t.
  GatewayConfig Config(const std::vector<std::string>& modules) {
    std::string yaml = "modules:\n";
    for (const std::string& m : modules) {
      const size_t colon = m.find(':');
      std::string id = m.substr(0, colon);
      std::string file = m.substr(colon + 1);
      bool spool = false;
      if (file.size() > 6 && file.substr(file.size() - 6) == ":spool") {
        spool = true;
        file.resize(file.size() - 6);
      }
      absl::StrAppend(&yaml, "  - id: ", id, "\n    bulk_data_label: t\n",
                      "    sink: {type: file, path: \"", dir_, "/", file,
                      "\"}\n");
      if (spool) {
        absl::StrAppend(&yaml, "    spool: {dir: \"", dir_, "/spool-", id,
                        "\", fsync: 5}\n");
      }
    }
    auto c = ParseConfig(yaml, "reload.yaml", {});
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : GatewayConfig();
  }

  void StartWith(const std::vector<std::string>& modules) {
    auto p = Pipeline::Create(Config(modules), sinks_);
    ASSERT_TRUE(p.ok()) << p.status();
    pipeline_ = *std::move(p);
    ASSERT_TRUE(pipeline_->Start().ok());
  }

  absl::Status Replace(const std::vector<std::string>& modules,
                       const std::set<std::string>& keep,
                       std::vector<std::string>* not_started) {
    const GatewayConfig c = Config(modules);
    return pipeline_->ReplaceModules(
        c.modules, keep, sinks_, absl::Now() + absl::Seconds(10), not_started);
  }

  bool Publish(int n) {
    const std::string record = absl::StrCat("r-", n);
    const std::string* records[] = {&record};
    BulkInput b;
    b.device_id = 3;
    b.label = "t";
    b.records = records;
    return pipeline_->ingester().PublishBulk(b, {}).ok();
  }

  // The records of a file sink's file, in order.
  std::vector<std::string> Read(const std::string& file) {
    std::vector<std::string> out;
    std::ifstream in(dir_ + "/" + file);
    std::string line;
    while (std::getline(in, line)) {
      const size_t at = line.find("\"data\":\"");
      if (at == std::string::npos) continue;
      const size_t begin = at + 8;
      std::string data;
      absl::Base64Unescape(line.substr(begin, line.find('"', begin) - begin),
                           &data);
      out.push_back(data);
    }
    return out;
  }

  static std::vector<std::string> Range(int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i) out.push_back(absl::StrCat("r-", i));
    return out;
  }

  std::vector<std::string> Ids() {
    std::vector<std::string> ids;
    for (const auto& m : pipeline_->modules()) ids.push_back(m->id());
    return ids;
  }

  SinkRegistry sinks_;
  std::string dir_;
  std::unique_ptr<Pipeline> pipeline_;
};

TEST_F(PipelineReloadTest, RemovedDrainsChangedReopensAddedStarts) {
  StartWith({"a:a.jsonl", "b:b1.jsonl"});
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(Publish(i));
  std::vector<std::string> not_started;
  ASSERT_TRUE(Replace({"b:b2.jsonl", "c:c.jsonl"}, {}, &not_started).ok());
  EXPECT_THAT(not_started, IsEmpty());
  // Drained and closed before ReplaceModules returned.
  EXPECT_EQ(Read("a.jsonl"), Range(0, 200));
  EXPECT_EQ(Read("b1.jsonl"), Range(0, 200));
  EXPECT_THAT(Ids(), ElementsAre("b", "c"));
  ModuleLabels labels;
  pipeline_->CollectMetrics(labels);
  EXPECT_THAT(labels.modules, ElementsAre("b", "c"));

  for (int i = 200; i < 300; ++i) ASSERT_TRUE(Publish(i));
  ASSERT_TRUE(pipeline_->Stop(absl::Now() + absl::Seconds(10)));
  EXPECT_EQ(Read("a.jsonl"), Range(0, 200));
  EXPECT_EQ(Read("b1.jsonl"), Range(0, 200));
  EXPECT_EQ(Read("b2.jsonl"), Range(200, 300));
  EXPECT_EQ(Read("c.jsonl"), Range(200, 300));
}

TEST_F(PipelineReloadTest, KeptModuleIsTheSameObject) {
  StartWith({"a:a.jsonl", "b:b.jsonl"});
  const Module* a = pipeline_->modules()[0].get();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Publish(i));
  std::vector<std::string> not_started;
  ASSERT_TRUE(Replace({"c:c.jsonl", "a:a.jsonl"}, {"a"}, &not_started).ok());
  EXPECT_THAT(Ids(), ElementsAre("c", "a"));
  EXPECT_EQ(pipeline_->modules()[1].get(), a);
  for (int i = 10; i < 20; ++i) ASSERT_TRUE(Publish(i));
  ASSERT_TRUE(pipeline_->Stop(absl::Now() + absl::Seconds(10)));
  EXPECT_EQ(Read("a.jsonl"), Range(0, 20));
  EXPECT_EQ(Read("b.jsonl"), Range(0, 10));
  EXPECT_EQ(Read("c.jsonl"), Range(10, 20));
}

TEST_F(PipelineReloadTest, ChangedSpooledModuleReopensItsFolder) {
  StartWith({"b:b1.jsonl:spool"});
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(Publish(i));
  std::vector<std::string> not_started;
  ASSERT_TRUE(Replace({"b:b2.jsonl:spool"}, {}, &not_started).ok());
  EXPECT_THAT(not_started, IsEmpty());
  for (int i = 50; i < 100; ++i) ASSERT_TRUE(Publish(i));
  // A stopped spool keeps what it holds for the next start: let the new
  // one deliver everything first.
  Module& b = *pipeline_->modules()[0];
  while (ModuleCounters::Get(b.counters().delivered) < 50) {
    std::this_thread::yield();
  }
  ASSERT_TRUE(pipeline_->Stop(absl::Now() + absl::Seconds(10)));
  // The old one drained its spool into its own file before it closed.
  EXPECT_EQ(Read("b1.jsonl"), Range(0, 50));
  EXPECT_EQ(Read("b2.jsonl"), Range(50, 100));
}

TEST_F(PipelineReloadTest, ModuleThatDoesNotBuildChangesNothing) {
  StartWith({"a:a.jsonl"});
  ASSERT_TRUE(Publish(0));
  auto bad =
      ParseConfig("modules: [{id: x, bulk_data_label: t, sink: {type: file}}]",
                  "bad.yaml", {});
  ASSERT_TRUE(bad.ok()) << bad.status();  // the sink's factory refuses it
  std::vector<std::string> not_started;
  absl::Status st = pipeline_->ReplaceModules(
      bad->modules, {}, sinks_, absl::Now() + absl::Seconds(10), &not_started);
  EXPECT_FALSE(st.ok());
  EXPECT_THAT(Ids(), ElementsAre("a"));
  ASSERT_TRUE(Publish(1));
  ASSERT_TRUE(pipeline_->Stop(absl::Now() + absl::Seconds(10)));
  EXPECT_EQ(Read("a.jsonl"), Range(0, 2));
}

TEST_F(PipelineReloadTest, ReplaceAfterStopIsRefused) {
  StartWith({"a:a.jsonl"});
  ASSERT_TRUE(pipeline_->Stop(absl::Now() + absl::Seconds(10)));
  std::vector<std::string> not_started;
  EXPECT_EQ(Replace({"b:b.jsonl"}, {}, &not_started).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_THAT(Ids(), ElementsAre("a"));
}

TEST_F(PipelineReloadTest, InputsDuringTheSwitchUseOneTableEach) {
  StartWith({"a:a.jsonl", "b:b1.jsonl"});
  std::atomic<int> published{0};
  std::atomic<bool> stop{false};
  std::thread publisher([&] {
    // A refused input (a successor's queue full while it waits to start)
    // is sent again, as a client would.
    for (int i = 0; !stop.load();) {
      if (Publish(i)) published.store(++i);
    }
  });
  while (published.load() < 500) std::this_thread::yield();
  std::vector<std::string> not_started;
  ASSERT_TRUE(Replace({"b:b2.jsonl", "c:c.jsonl"}, {}, &not_started).ok());
  const int at_switch = published.load();
  while (published.load() < at_switch + 500) std::this_thread::yield();
  stop.store(true);
  publisher.join();
  ASSERT_TRUE(pipeline_->Stop(absl::Now() + absl::Seconds(10)));

  const std::vector<std::string> a = Read("a.jsonl");
  const std::vector<std::string> c = Read("c.jsonl");
  // Old table: a and b1 got the same prefix; new: b2 and c the rest.
  EXPECT_EQ(Read("b1.jsonl"), a);
  EXPECT_EQ(Read("b2.jsonl"), c);
  EXPECT_EQ(a, Range(0, static_cast<int>(a.size())));
  EXPECT_EQ(c, Range(static_cast<int>(a.size()), published.load()));
  EXPECT_GE(a.size(), 500u);
}

}  // namespace
}  // namespace streamgate
