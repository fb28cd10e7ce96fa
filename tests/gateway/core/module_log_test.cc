#include "gateway/core/module_log.h"

#include "gtest/gtest.h"
#include "spdlog/spdlog.h"

namespace streamgate {
namespace {

TEST(ModuleLogsTest, FindsTheModuleEveryLogConventionNames) {
  EXPECT_EQ(ModuleLogs::ModuleNamed("module 'all': flush at shutdown: x"), "all");
  EXPECT_EQ(ModuleLogs::ModuleNamed("module kin-1: stream s: failed"), "kin-1");
  EXPECT_EQ(ModuleLogs::ModuleNamed("module a_b undeliverable"), "a_b");
  EXPECT_EQ(ModuleLogs::ModuleNamed(
                "grpc PublishEvent from ipv4:1 rejected: module 'q' queue is full"),
            "q");
  EXPECT_EQ(ModuleLogs::ModuleNamed("mqtt: connected to broker"), "");
  EXPECT_EQ(ModuleLogs::ModuleNamed("module 'unterminated"), "");
  EXPECT_EQ(ModuleLogs::ModuleNamed("module x/y: nope"), "");
}

TEST(ModuleLogsTest, RoutesSpdlogMessagesToBoundedRings) {
  ModuleLogs logs({"m1", "m2"}, /*capacity=*/3);
  spdlog::set_level(spdlog::level::trace);
  for (int i = 0; i < 5; ++i) spdlog::info("module 'm1': line {}", i);
  spdlog::error("module m2: broken");
  spdlog::warn("module 'other': not ours");
  spdlog::info("no module here");

  const ModuleLogRing* m1 = logs.Find("m1");
  ASSERT_NE(m1, nullptr);
  auto entries = m1->Recent(spdlog::level::trace, 100);
  ASSERT_EQ(entries.size(), 3u);  // the ring keeps the newest 3
  EXPECT_EQ(entries[0].message, "module 'm1': line 2");
  EXPECT_EQ(entries[2].message, "module 'm1': line 4");
  EXPECT_EQ(m1->Recent(spdlog::level::trace, 1)[0].message,
            "module 'm1': line 4");
  EXPECT_TRUE(m1->Recent(spdlog::level::err, 100).empty());
  EXPECT_FALSE(m1->LastError().has_value());

  const ModuleLogRing* m2 = logs.Find("m2");
  ASSERT_NE(m2, nullptr);
  auto errors = m2->Recent(spdlog::level::err, 100);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].level, spdlog::level::err);
  EXPECT_EQ(m2->errors_total(), 1u);
  ASSERT_TRUE(m2->LastError().has_value());
  EXPECT_EQ(m2->LastError()->message, "module m2: broken");
  EXPECT_EQ(logs.Find("other"), nullptr);
}

TEST(ModuleLogsTest, ParsesLevels) {
  EXPECT_EQ(ParseLogLevel("error"), spdlog::level::err);
  EXPECT_EQ(ParseLogLevel("WARNING"), spdlog::level::warn);
  EXPECT_EQ(ParseLogLevel(""), spdlog::level::trace);
  EXPECT_FALSE(ParseLogLevel("loud").has_value());
}

}  // namespace
}  // namespace streamgate
