// The status page's JSON document and the page itself (issue 16.3); the
// page's rendering is tested in a browser by e2e_status_page_chromium.
#include "gateway/server/status_page.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(StatusPageTest, JsonDocument) {
  StatusSnapshot s;
  s.version = "1.2.3";
  s.started = absl::FromUnixSeconds(1700000000);
  s.now = s.started + absl::Seconds(90) + absl::Microseconds(1500);
  s.ready = true;
  ModuleView v;
  v.status.id = "m1";
  v.status.sink_type = "file";
  v.status.state = "failing";
  v.status.subscribe_events = {"*", "temp"};
  v.status.records_accepted = 7;
  v.status.records_delivered = 6;
  v.status.records_dead_lettered = 1;
  v.status.queue_depth = 0;
  v.status.last_error =
      LogEntry{s.started, spdlog::level::err, "bad \"byte\" \xff here"};
  v.target = "file /x.jsonl";
  s.modules.push_back(v);
  s.inputs.push_back({"grpc", "127.0.0.1:1", "plaintext", "serving"});
  EXPECT_EQ(
      RenderStatusJson(s),
      "{\"version\":\"1.2.3\",\"time\":\"2023-11-14T22:14:50.001Z\","
      "\"uptime_s\":90,\"ready\":true,\"modules\":[{\"id\":\"m1\","
      "\"description\":\"\",\"sink\":\"file\",\"target\":\"file /x.jsonl\","
      "\"state\":\"failing\",\"subscribe_events\":[\"*\",\"temp\"],"
      "\"bulk_data_label\":null,\"accepted\":7,\"delivered\":6,"
      "\"dead_lettered\":1,\"retried\":0,\"rejected_full\":0,"
      "\"queue_depth\":0,\"errors\":0,\"last_error\":{\"time\":"
      "\"2023-11-14T22:13:20Z\",\"level\":\"error\",\"message\":"
      "\"bad \\\"byte\\\" \xEF\xBF\xBD here\"}}],\"inputs\":[{\"name\":"
      "\"grpc\",\"address\":\"127.0.0.1:1\",\"detail\":\"plaintext\","
      "\"state\":\"serving\"}]}\n");
}

TEST(StatusPageTest, PageIsSelfContainedAndNeverUsesInnerHtml) {
  const std::string& page = StatusPageHtml();
  EXPECT_THAT(page, HasSubstr("fetch(\"status.json\""));
  EXPECT_THAT(page, Not(HasSubstr("http://")));
  EXPECT_THAT(page, Not(HasSubstr("https://")));
  EXPECT_THAT(page, Not(HasSubstr("src=")));
  EXPECT_THAT(page, Not(HasSubstr("innerHTML")));
}

}  // namespace
}  // namespace streamgate
