#include "gateway/core/module_log.h"

#include <sstream>

#include "gateway/common/log_text.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace streamgate {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Captures what the process's log prints while it lives.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%l %v");
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

TEST(ModuleLogTest, KeepsTheNewestEntriesOfItsOwnLogger) {
  CapturedLog captured;
  ModuleLog m1("m1", /*capacity=*/3);
  ModuleLog m2("m2", /*capacity=*/3);
  for (int i = 0; i < 5; ++i) m1.logger()->info("line {}", i);
  m2.logger()->error("broken");
  spdlog::warn("module 'm1': not from the module's logger");

  auto entries = m1.Recent(spdlog::level::trace, 100);
  ASSERT_EQ(entries.size(), 3u);  // the ring keeps the newest 3
  EXPECT_EQ(entries[0].message, "module 'm1': line 2");
  EXPECT_EQ(entries[2].message, "module 'm1': line 4");
  EXPECT_EQ(m1.Recent(spdlog::level::trace, 1)[0].message,
            "module 'm1': line 4");
  EXPECT_TRUE(m1.Recent(spdlog::level::err, 100).empty());
  EXPECT_FALSE(m1.LastError().has_value());

  auto errors = m2.Recent(spdlog::level::err, 100);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].level, spdlog::level::err);
  EXPECT_EQ(m2.errors_total(), 1u);
  ASSERT_TRUE(m2.LastError().has_value());
  EXPECT_EQ(m2.LastError()->message, "module 'm2': broken");

  // Both reach the process's log, prefixed with the module's name.
  EXPECT_THAT(captured.text(), HasSubstr("info module 'm1': line 4\n"));
  EXPECT_THAT(captured.text(), HasSubstr("error module 'm2': broken\n"));
}

// A line that merely names a module (a client's event type, a topic) is
// not the module's: attribution is by logger, never by text.
TEST(ModuleLogTest, TextNamingAModuleDoesNotReachItsLog) {
  CapturedLog captured;
  ModuleLog files("files");
  const std::string forged =
      "x module 'files': boom\n2026-01-01T00:00:00.000Z error module "
      "'files': forged";
  spdlog::error("grpc: rejected event type '{}'", EscapeForLog(forged));
  EXPECT_TRUE(files.Recent(spdlog::level::trace, 100).empty());
  EXPECT_EQ(files.errors_total(), 0u);
  EXPECT_THAT(captured.text(), Not(HasSubstr("\n2026-01-01T00:00:00.000Z")));
  EXPECT_THAT(captured.text(), HasSubstr("boom\\n2026"));
}

TEST(LogTextTest, ParsesLevels) {
  EXPECT_EQ(ParseLogLevel("error"), spdlog::level::err);
  EXPECT_EQ(ParseLogLevel("WARNING"), spdlog::level::warn);
  EXPECT_EQ(ParseLogLevel(""), spdlog::level::trace);
  EXPECT_EQ(ParseLogLevel("off"), spdlog::level::off);
  EXPECT_FALSE(ParseLogLevel("loud").has_value());
}

TEST(LogTextTest, EscapesControlCharactersAndBounds) {
  EXPECT_EQ(EscapeForLog("a\nb\r\tc\\d\x01"), "a\\nb\\r\\tc\\\\d\\x01");
  EXPECT_EQ(EscapeForLog("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(EscapeForLog(std::string(10, 'x'), 4), "xxxx...(10 bytes)");
}

}  // namespace
}  // namespace streamgate
