// The `limits:` section's issue-15 fields (gateway/core/config.h
// LimitsConfig): defaults, accepted values, and errors that name the field
// and line.
#include <string>

#include "gateway/core/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/core/config_test_util.h"

namespace streamgate {
namespace {

using testing::Err;
using ::testing::HasSubstr;
using testing::kModules;
using testing::Ok;

TEST(LimitsConfigTest, Defaults) {
  const GatewayConfig c = Ok(kModules);
  EXPECT_EQ(c.limits.max_records_per_input, 10000);
  EXPECT_EQ(c.limits.max_rss_bytes, 0);
  EXPECT_EQ(c.limits.watchdog_interval_ms, 5000);
  EXPECT_EQ(c.limits.watchdog_timeout_ms, 5000);
  EXPECT_EQ(c.limits.watchdog_failures, 3);
}

TEST(LimitsConfigTest, ReadsEveryField) {
  const GatewayConfig c =
      Ok("limits:\n  max_records_per_input: 500\n  max_rss_bytes: 2GiB\n"
         "  watchdog_interval_ms: 0\n  watchdog_timeout_ms: 250\n"
         "  watchdog_failures: 7\n" +
         std::string(kModules));
  EXPECT_EQ(c.limits.max_records_per_input, 500);
  EXPECT_EQ(c.limits.max_rss_bytes, int64_t{2} << 30);
  EXPECT_EQ(c.limits.watchdog_interval_ms, 0);
  EXPECT_EQ(c.limits.watchdog_timeout_ms, 250);
  EXPECT_EQ(c.limits.watchdog_failures, 7);
}

TEST(LimitsConfigTest, RefusesOutOfRange) {
  EXPECT_THAT(
      Err("limits:\n  max_records_per_input: 0\n" + std::string(kModules)),
      HasSubstr("limits.max_records_per_input (line 2)"));
  EXPECT_THAT(Err("limits:\n  max_rss_bytes: 1MiB\n" + std::string(kModules)),
              HasSubstr("limits.max_rss_bytes (line 2): must be 0 (no bound) "
                        "or at least 16777216"));
  EXPECT_THAT(
      Err("limits:\n  watchdog_timeout_ms: 5\n" + std::string(kModules)),
      HasSubstr("limits.watchdog_timeout_ms (line 2)"));
  EXPECT_THAT(Err("limits:\n  watchdog_failures: 0\n" + std::string(kModules)),
              HasSubstr("limits.watchdog_failures (line 2)"));
  EXPECT_THAT(Err("limits:\n  max_rss: 1\n" + std::string(kModules)),
              HasSubstr("max_rss"));
}

}  // namespace
}  // namespace streamgate
