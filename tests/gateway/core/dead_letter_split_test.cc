// Issue 15 item 5: door rejects and delivery give-ups in separate dead-letter
// files. A flood of large rejects (the 70 bad 4 MiB requests of the issue,
// scaled to the file's bound) must not rotate an acknowledged,
// undeliverable record out of existence, and every line rotation deletes
// is counted as lost. The Pipeline is built from a config, with a probe
// sink that shows which file sinks give up into.
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/core/config.h"
#include "gateway/core/dead_letter_config.h"
#include "gateway/core/pipeline.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/context_probe_sink.h"
#include "tests/gateway/common/dead_letter_test_util.h"
#include "tests/sinks/recording_metrics.h"
#include "yaml-cpp/yaml.h"

namespace streamgate {
namespace {

using ::streamgate::testing::Exists;
using ::streamgate::testing::Lines;
using ::streamgate::testing::TempDir;
using ::testing::HasSubstr;

constexpr char kGiveUp[] =
    R"({"time":"2024-05-01T12:00:02Z","source":"kinesis","module":"k",)"
    R"("reason":"ResourceNotFoundException","attempts":1,"partitionKey":"42",)"
    R"("bytes":3,"data":"YWNr"})";

class DeadLetterSplitTest : public ::testing::Test {
 protected:
  std::unique_ptr<Pipeline> Build(const std::string& dead_letter) {
    sinks_.Register(std::make_unique<testing::ContextProbeSinkFactory>(
        "kinesis", &sink_file_));
    auto config = ParseConfig(
        absl::StrCat("dead_letter: ", dead_letter, "\nmodules: [{id: k, ",
                     "subscribe_events: ['*'], sink: {type: kinesis}}]\n"),
        "t.yaml", {"grpc", "api_keys", "mqtt"});
    EXPECT_TRUE(config.ok()) << config.status();
    if (!config.ok()) return nullptr;
    auto p = Pipeline::Create(*config, sinks_);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *std::move(p) : nullptr;
  }

  TempDir dir_;
  SinkRegistry sinks_;
  DeadLetterFile* sink_file_ = nullptr;
};

TEST_F(DeadLetterSplitTest, RejectFloodNeverRotatesAGiveUpAway) {
  const std::string root = dir_.file("dead.jsonl");
  auto p =
      Build(absl::StrCat("{path: '", root, "', max_bytes: 8192, keep: 1}"));
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->Start().ok());
  ASSERT_NE(sink_file_, nullptr);
  ASSERT_TRUE(sink_file_->Append(kGiveUp));  // what a Kinesis sink does

  const std::string big(4 << 20, 'x');  // clipped to the line bound
  DoorReject r;
  r.source = "grpc";
  r.reason = "records[0]: record of 4194304 bytes exceeds the limit";
  r.rpc = "bulk_data";
  r.data = big;
  for (int i = 0; i < 70; ++i) p->rejects().Rejected(r);

  // The give-up is where the sink put it, in its own file.
  EXPECT_EQ(sink_file_->options().path, root + ".deliveries");
  EXPECT_THAT(Lines(root + ".deliveries"), ::testing::ElementsAre(kGiveUp));
  EXPECT_EQ(sink_file_->counters().lines_lost.load(), 0u);
  // Rejects rotated among themselves, and what rotation deleted is counted:
  // 70 written, 2 kept (one per file), 68 lost.
  EXPECT_EQ(Lines(root).size() + Lines(root + ".1").size(), 2u);
  EXPECT_FALSE(Exists(root + ".2"));
  std::string all;
  for (const auto& l : Lines(root)) all += l;
  EXPECT_FALSE(absl::StrContains(all, "kinesis"));
  EXPECT_TRUE(p->Stop(absl::Now() + absl::Seconds(30)));  // drained
}

TEST_F(DeadLetterSplitTest, BothFilesAreOnMetricsWithRotationLosses) {
  const std::string root = dir_.file("dead.jsonl");
  auto p =
      Build(absl::StrCat("{path: '", root, "', max_bytes: 4096, keep: 0}"));
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->Start().ok());
  DoorReject r;
  r.source = "mqtt";
  r.reason = "bad";
  const std::string data(2000, 'y');
  r.data = data;
  for (int i = 0; i < 3; ++i) p->rejects().Rejected(r);  // 2 rotations
  ASSERT_TRUE(sink_file_->Append(kGiveUp));
  testing::RecordingWriter out;
  p->CollectDoorMetrics(out);
  auto value = [&](const std::string& name) {
    for (const auto& s : out.samples()) {
      if (s.name == name) return s.value;
    }
    ADD_FAILURE() << "no " << name;
    return -1.0;
  };
  EXPECT_EQ(value("streamgate_dead_letter_lines_written_total"), 3);
  EXPECT_EQ(value("streamgate_dead_letter_rotations_total"), 2);
  EXPECT_EQ(value("streamgate_dead_letter_lines_lost_total"), 2);
  EXPECT_EQ(value("streamgate_dead_letter_delivery_lines_written_total"), 1);
  EXPECT_EQ(value("streamgate_dead_letter_delivery_lines_lost_total"), 0);
  EXPECT_EQ(value("streamgate_dead_letter_delivery_rotations_total"), 0);
  EXPECT_EQ(Lines(root).size(), 1u);
  EXPECT_TRUE(p->Stop(absl::Now() + absl::Seconds(30)));  // drained
}

TEST_F(DeadLetterSplitTest, AnUnusableDeliveryPathNamesItsField) {
  std::string plain = dir_.file("plain");
  ASSERT_TRUE(DeadLetterFile({plain, 4096, 0}).Append("x"));
  auto p = Build(absl::StrCat("{path: '", dir_.file("dead.jsonl"),
                              "', delivery_path: '", plain, "/d.jsonl'}"));
  ASSERT_NE(p, nullptr);
  absl::Status st = p->Start();
  EXPECT_THAT(std::string(st.message()),
              ::testing::StartsWith(
                  "dead_letter.delivery_path: cannot create " + plain));
}

TEST(DeliveryPathConfigTest, DefaultsNextToThePathAndMustDiffer) {
  auto o = ParseDeadLetterOptions(YAML::Load("{path: /d/x.jsonl, keep: 2}"));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->delivery_path, "/d/x.jsonl.deliveries");
  const DeadLetterOptions d = DeliveryDeadLetterOptions(*o);
  EXPECT_EQ(d.path, "/d/x.jsonl.deliveries");
  EXPECT_EQ(d.keep, 2);
  EXPECT_EQ(d.max_bytes, o->max_bytes);
  auto own = ParseDeadLetterOptions(
      YAML::Load("{path: /d/x.jsonl, delivery_path: /e/give-ups.jsonl}"));
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->delivery_path, "/e/give-ups.jsonl");
  auto same = ParseDeadLetterOptions(
      YAML::Load("{path: /d/x.jsonl,\n delivery_path: /d/x.jsonl}"));
  EXPECT_EQ(same.status().message(),
            "dead_letter.delivery_path (line 2): must differ from "
            "dead_letter.path");
}

}  // namespace
}  // namespace streamgate
