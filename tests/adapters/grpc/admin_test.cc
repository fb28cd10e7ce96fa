// The Admin service over GatewayStatus, and streamgate-ctl's rendering of
// it, against an in-process GrpcAdapter: ListModules carries delivered,
// dead-lettered and retried apart (records_settled stays their sum for
// older clients), GetModuleLog filters and limits, unknown modules and
// levels are refused; `streamgate-ctl modules` shows DELIVERED (delivered
// only) and DEAD-LETTERED in their own columns.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "streamgate/v1/admin.grpc.pb.h"
#include "tests/adapters/grpc/grpc_test_util.h"
#include "tools/ctl/admin_client.h"

namespace streamgate {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ModuleStatus Module(const std::string& id, uint64_t delivered,
                    uint64_t dead_lettered) {
  ModuleStatus m;
  m.id = id;
  m.description = "module " + id;
  m.sink_type = "kinesis";
  m.subscribe_events = {"*", "door.open"};
  m.records_accepted = 100;
  m.bytes_accepted = 2000;
  m.records_rejected_full = 3;
  m.queue_depth = 4;
  m.records_written = 90;
  m.records_delivered = delivered;
  m.records_dead_lettered = dead_lettered;
  m.records_retried = 6;
  m.state = "running";
  return m;
}

// The table split on runs of 2+ spaces: {module: {column: value}}.
std::map<std::string, std::map<std::string, std::string>> ParseTable(
    const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  auto cells = [](const std::string& line) {
    std::vector<std::string> out;
    for (absl::string_view c :
         absl::StrSplit(line, "  ", absl::SkipWhitespace())) {
      out.emplace_back(absl::StripAsciiWhitespace(c));
    }
    return out;
  };
  std::map<std::string, std::map<std::string, std::string>> rows;
  if (lines.empty()) return rows;
  const std::vector<std::string> header = cells(lines[0]);
  for (size_t i = 1; i < lines.size() && !lines[i].empty(); ++i) {
    const std::vector<std::string> row = cells(lines[i]);
    for (size_t c = 0; c < header.size() && c < row.size(); ++c) {
      rows[row[0]][header[c]] = row[c];
    }
  }
  return rows;
}

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ModuleStatus failing = Module("kin-gone", 0, 3);
    failing.state = "failing";
    failing.errors_logged = 2;
    failing.last_error =
        LogEntry{absl::FromUnixSeconds(1714564800) + absl::Milliseconds(250),
                 spdlog::level::err, "stream not found"};
    ModuleStatus files = Module("files", 5, 0);
    files.sink_type = "file";
    files.subscribe_events = {"*"};
    files.bulk_data_label = "telemetry";
    files.use_uuid = true;
    harness_.status.SetModules({files, Module("kin-mixed", 4, 3), failing});
    for (int i = 0; i < 5; ++i) {
      harness_.status.AddLog(
          "files", LogEntry{absl::FromUnixSeconds(1714564800 + i),
                            i % 2 ? spdlog::level::err : spdlog::level::info,
                            "line " + std::to_string(i)});
    }
    ASSERT_TRUE(harness_.Start().ok());
    stub_ = v1::Admin::NewStub(harness_.Channel());
  }

  testing::AdapterHarness harness_;
  std::unique_ptr<v1::Admin::Stub> stub_;
};

TEST_F(AdminTest, ListModulesCarriesDeliveryOutcomesApart) {
  v1::ListModulesResponse resp;
  ASSERT_TRUE(stub_->ListModules(testing::CallContext().get(), {}, &resp).ok());
  ASSERT_EQ(resp.modules_size(), 3);
  const v1::ModuleInfo& files = resp.modules(0);
  EXPECT_EQ(files.id(), "files");
  EXPECT_EQ(files.description(), "module files");
  EXPECT_EQ(files.sink_type(), "file");
  EXPECT_THAT(files.subscribe_events(), ElementsAre("*"));
  EXPECT_EQ(files.bulk_data_label(), "telemetry");
  EXPECT_TRUE(files.use_uuid());
  EXPECT_EQ(files.state(), "running");
  EXPECT_EQ(files.last_error(), "");
  EXPECT_FALSE(files.has_last_error_time());

  const v1::ModuleCounters& c = resp.modules(1).counters();
  EXPECT_EQ(resp.modules(1).id(), "kin-mixed");
  EXPECT_THAT(resp.modules(1).subscribe_events(),
              ElementsAre("*", "door.open"));
  EXPECT_EQ(c.records_accepted(), 100u);
  EXPECT_EQ(c.bytes_accepted(), 2000u);
  EXPECT_EQ(c.records_rejected_full(), 3u);
  EXPECT_EQ(c.queue_depth(), 4u);
  EXPECT_EQ(c.records_written(), 90u);
  EXPECT_EQ(c.records_delivered(), 4u);
  EXPECT_EQ(c.records_dead_lettered(), 3u);
  EXPECT_EQ(c.records_retried(), 6u);
  EXPECT_EQ(c.records_settled(), 7u);  // delivered + dead-lettered

  const v1::ModuleInfo& gone = resp.modules(2);
  EXPECT_EQ(gone.state(), "failing");
  EXPECT_EQ(gone.counters().errors_logged(), 2u);
  EXPECT_EQ(gone.last_error(), "stream not found");
  EXPECT_EQ(gone.last_error_time().seconds(), 1714564800);
  EXPECT_EQ(gone.last_error_time().nanos(), 250000000);
}

TEST_F(AdminTest, GetModuleLogFiltersLimitsAndRefuses) {
  v1::GetModuleLogRequest req;
  req.set_module_id("files");
  v1::GetModuleLogResponse resp;
  ASSERT_TRUE(
      stub_->GetModuleLog(testing::CallContext().get(), req, &resp).ok());
  ASSERT_EQ(resp.entries_size(), 5);
  EXPECT_EQ(resp.entries(0).message(), "line 0");
  EXPECT_EQ(resp.entries(0).level(), "info");
  EXPECT_EQ(resp.entries(1).level(), "error");
  EXPECT_EQ(resp.entries(4).time().seconds(), 1714564804);

  req.set_min_level("error");
  req.set_limit(1);
  resp.Clear();
  ASSERT_TRUE(
      stub_->GetModuleLog(testing::CallContext().get(), req, &resp).ok());
  ASSERT_EQ(resp.entries_size(), 1);
  EXPECT_EQ(resp.entries(0).message(), "line 3");

  req.set_min_level("loud");
  grpc::Status st =
      stub_->GetModuleLog(testing::CallContext().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(),
            "min_level: unknown level 'loud' (trace, debug, info, warn, "
            "error, critical, off)");

  // An unknown module is NOT_FOUND, whatever the level.
  req.set_module_id("nope");
  st = stub_->GetModuleLog(testing::CallContext().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(st.error_message(), "no module 'nope'");
  req.set_min_level("");
  st = stub_->GetModuleLog(testing::CallContext().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(AdminTest, CtlModulesShowsDeliveredAndDeadLetteredApart) {
  ctl::ClientOptions options;
  options.target = absl::StrCat("127.0.0.1:", harness_.adapter().port());
  auto client = ctl::AdminClient::Create(options);
  ASSERT_TRUE(client.ok());
  auto table = (*client)->Modules();
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_TRUE(absl::StartsWith(*table, "MODULE  ")) << *table;
  auto rows = ParseTable(*table);
  ASSERT_EQ(rows.size(), 3u) << *table;
  EXPECT_EQ(rows["files"]["DELIVERED"], "5");
  EXPECT_EQ(rows["files"]["DEAD-LETTERED"], "0");
  EXPECT_EQ(rows["kin-mixed"]["DELIVERED"], "4");
  EXPECT_EQ(rows["kin-mixed"]["DEAD-LETTERED"], "3");
  EXPECT_EQ(rows["kin-gone"]["DELIVERED"], "0");
  EXPECT_EQ(rows["kin-gone"]["DEAD-LETTERED"], "3");
  EXPECT_EQ(rows["kin-gone"]["STATE"], "failing");
  EXPECT_EQ(rows["kin-gone"]["ERRORS"], "2");
  EXPECT_EQ(rows["files"]["SUBSCRIBES"], "events *; bulk telemetry; uuid keys");
  EXPECT_THAT(*table,
              HasSubstr("\nkin-gone last error at "
                        "2024-05-01T12:00:00.250Z: stream not found\n"));

  auto logs = (*client)->Logs("files", "error", 0);
  ASSERT_TRUE(logs.ok()) << logs.status();
  EXPECT_EQ(*logs,
            "2024-05-01T12:00:01.000Z error line 1\n"
            "2024-05-01T12:00:03.000Z error line 3\n");
  auto missing = (*client)->Logs("nope", "", 0);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace streamgate
