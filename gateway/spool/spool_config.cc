#include "gateway/spool/spool_config.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/api/config_reader.h"
#include "gateway/common/status_macros.h"

namespace streamgate {
namespace {

constexpr int64_t kMaxIntervalMs = 60000;

// `fsync`: always, an interval in milliseconds, or {interval_ms: N}.
absl::Status ParseFsync(const ConfigReader& spool, SpoolOptions& o) {
  constexpr char kWhat[] =
      "must be always, an interval in milliseconds (1..60000) or "
      "{interval_ms: N}";
  const YAML::Node node = spool.Get("fsync");
  if (node.IsMap()) {
    ASSIGN_OR_RETURN(ConfigReader fsync, spool.Section("fsync"));
    RETURN_IF_ERROR(fsync.CheckKnownKeys({"interval_ms"}));
    ASSIGN_OR_RETURN(auto ms, fsync.Int("interval_ms", 1, kMaxIntervalMs));
    // Absent: the error points at the map (Error would find no line).
    if (!ms) return FieldError(node, fsync.Field("interval_ms"), "required");
    o.fsync_always = false;
    o.fsync_interval_ms = *ms;
    return absl::OkStatus();
  }
  if (!node.IsScalar()) return spool.Error("fsync", kWhat);
  if (node.Scalar() == "always") {
    o.fsync_always = true;
    return absl::OkStatus();
  }
  int64_t ms = 0;
  if (!absl::SimpleAtoi(node.Scalar(), &ms) || ms < 1 || ms > kMaxIntervalMs) {
    return spool.Error("fsync",
                       absl::StrCat(kWhat, ", got '", node.Scalar(), "'"));
  }
  o.fsync_always = false;
  o.fsync_interval_ms = ms;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SpoolOptions> ParseSpoolOptions(const YAML::Node& node) {
  ASSIGN_OR_RETURN(ConfigReader spool, ConfigReader::Open(node, "spool"));
  SpoolOptions o;
  o.line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  RETURN_IF_ERROR(
      spool.CheckKnownKeys({"dir", "max_bytes", "fsync", "when_full",
                            "segment_bytes", "file_mode"}));
  ASSIGN_OR_RETURN(auto dir, spool.String("dir"));
  if (!dir || dir->empty()) {
    return FieldError(node, spool.Field("dir"),
                      "required (a directory this module alone writes)");
  }
  o.dir = *dir;
  while (o.dir.size() > 1 && o.dir.back() == '/') o.dir.pop_back();
  RETURN_IF_ERROR(
      spool.Read("max_bytes", o.max_bytes, int64_t{1} << 20, int64_t{1} << 50));
  o.fsync_always = true;
  if (spool.Has("fsync")) RETURN_IF_ERROR(ParseFsync(spool, o));
  ASSIGN_OR_RETURN(auto when_full, spool.String("when_full"));
  if (when_full && *when_full != "reject") {
    // `block` once existed and behaved exactly as `reject`: refused now
    // rather than promising a wait that never happened.
    return spool.Error(
        "when_full",
        *when_full == "block"
            ? "'block' is no longer accepted: it always behaved as reject "
              "(a full spool refuses the input; gRPC gets "
              "RESOURCE_EXHAUSTED, MQTT stops reading and retries). Use "
              "reject or leave it out"
            : absl::StrCat("must be reject, got '", *when_full, "'"));
  }
  ASSIGN_OR_RETURN(auto segment,
                   spool.Int("segment_bytes", 4096, int64_t{1} << 32));
  if (segment) {
    if (*segment > o.max_bytes) {
      return spool.Error(
          "segment_bytes",
          absl::StrCat("must not exceed spool.max_bytes (", o.max_bytes, ")"));
    }
    o.segment_bytes = *segment;
  } else {
    o.segment_bytes = std::min<int64_t>(int64_t{64} << 20, o.max_bytes / 4);
  }
  ASSIGN_OR_RETURN(auto mode, spool.String("file_mode"));
  if (mode) {
    // Octal text, as chmod takes it; never more than rwx for the three.
    uint32_t bits = 0;
    bool ok = !mode->empty() && mode->size() <= 4;
    for (char c : *mode) {
      ok = ok && c >= '0' && c <= '7';
      bits = bits * 8 + static_cast<uint32_t>(c - '0');
    }
    if (!ok || bits > 0777) {
      return spool.Error(
          "file_mode",
          absl::StrCat("must be octal permission bits such as \"0640\" (at "
                       "most 0777), got '",
                       *mode, "'"));
    }
    o.file_mode = bits;
  }
  return o;
}

}  // namespace streamgate
