// ParseSpoolOptions on its own (the module's `spool:` section through
// ConfigReader): defaults, the fsync forms, and the exact error texts.
#include <string>

#include "gateway/spool/spool_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

absl::StatusOr<SpoolOptions> Parse(const std::string& yaml) {
  // The section sits on line 3, as under a module in a config file.
  const YAML::Node root = YAML::Load("modules:\n  - id: m\n    spool: " + yaml);
  return ParseSpoolOptions(root["modules"][0]["spool"]);
}

TEST(SpoolOptionsTest, DefaultsAndForms) {
  auto a = Parse("{dir: /s/, max_bytes: 8388608}");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->dir, "/s");
  EXPECT_EQ(a->max_bytes, 8388608);
  EXPECT_TRUE(a->fsync_always);
  EXPECT_EQ(a->segment_bytes, 8388608 / 4);
  EXPECT_EQ(a->line, 3);
  auto b = Parse("{dir: /s, fsync: 7, when_full: reject}");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_FALSE(b->fsync_always);
  EXPECT_EQ(b->fsync_interval_ms, 7);
  EXPECT_EQ(b->segment_bytes, int64_t{64} << 20);
  auto c = Parse("{dir: /s, fsync: {interval_ms: 25}, segment_bytes: 4096}");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->fsync_interval_ms, 25);
  EXPECT_EQ(c->segment_bytes, 4096);
  auto d = Parse("{dir: /s, fsync: ~}");  // null: the default
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->fsync_always);
  EXPECT_EQ(d->file_mode, 0640u);
  auto e = Parse("{dir: /s, file_mode: '0600'}");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->file_mode, 0600u);
  auto f = Parse("{dir: /s, file_mode: 660}");  // unquoted: still octal
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->file_mode, 0660u);
}

TEST(SpoolOptionsTest, ErrorTexts) {
  struct Case {
    std::string spool, want;
  } cases[] = {
      {"{max_bytes: 8388608}",
       "spool.dir (line 3): required (a directory this module alone writes)"},
      {"{dir: ''}",
       "spool.dir (line 3): required (a directory this module alone writes)"},
      {"{dir: [a]}", "spool.dir (line 3): must be a string"},
      {"{dir: /s, fsync: sometimes}",
       "spool.fsync (line 3): must be always, an interval in milliseconds "
       "(1..60000) or {interval_ms: N}, got 'sometimes'"},
      {"{dir: /s, fsync: 60001}",
       "spool.fsync (line 3): must be always, an interval in milliseconds "
       "(1..60000) or {interval_ms: N}, got '60001'"},
      {"{dir: /s, fsync: [1]}",
       "spool.fsync (line 3): must be always, an interval in milliseconds "
       "(1..60000) or {interval_ms: N}"},
      {"{dir: /s, fsync: {interval_ms: -1}}",
       "spool.fsync.interval_ms (line 3): must be between 1 and 60000, got -1"},
      {"{dir: /s, fsync: {}}", "spool.fsync.interval_ms (line 3): required"},
      {"{dir: /s, fsync: {interval: 5}}",
       "spool.fsync.interval (line 3): unknown field (expected one of: "
       "interval_ms)"},
      {"{dir: /s, when_full: drop}",
       "spool.when_full (line 3): must be reject, got 'drop'"},
      {"{dir: /s, when_full: block}",
       "spool.when_full (line 3): 'block' is no longer accepted: it always "
       "behaved as reject (a full spool refuses the input; gRPC gets "
       "RESOURCE_EXHAUSTED, MQTT stops reading and retries). Use reject or "
       "leave it out"},
      {"{dir: /s, max_bytes: 10}",
       "spool.max_bytes (line 3): must be between 1048576 and "
       "1125899906842624, got 10"},
      {"{dir: /s, max_bytes: lots}",
       "spool.max_bytes (line 3): must be an integer"},
      {"{dir: /s, segment_bytes: 100}",
       "spool.segment_bytes (line 3): must be between 4096 and 4294967296, "
       "got 100"},
      {"{dir: /s, max_bytes: 1048576, segment_bytes: 2097152}",
       "spool.segment_bytes (line 3): must not exceed spool.max_bytes "
       "(1048576)"},
      {"{dir: /s, fsynk: always}",
       "spool.fsynk (line 3): unknown field (expected one of: dir, "
       "max_bytes, fsync, when_full, segment_bytes, file_mode)"},
      {"{dir: /s, file_mode: '0648'}",
       "spool.file_mode (line 3): must be octal permission bits such as "
       "\"0640\" (at most 0777), got '0648'"},
      {"{dir: /s, file_mode: '1777'}",
       "spool.file_mode (line 3): must be octal permission bits such as "
       "\"0640\" (at most 0777), got '1777'"},
      {"{dir: /s, [a]: 1}", "spool (line 3): keys must be strings"},
      {"/just/a/path", "spool (line 3): must be a map"},
  };
  for (const Case& c : cases) {
    auto r = Parse(c.spool);
    ASSERT_FALSE(r.ok()) << c.spool;
    EXPECT_EQ(r.status().message(), c.want) << c.spool;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace streamgate
