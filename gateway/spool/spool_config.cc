#include "gateway/spool/spool_config.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/status_macros.h"
#include "gateway/api/config_reader.h"

namespace streamgate {
namespace {

constexpr int64_t kMaxIntervalMs = 60000;

absl::Status ParseFsync(const YAML::Node& node, SpoolOptions& o) {
  constexpr char kWhat[] =
      "must be always, an interval in milliseconds (1..60000) or "
      "{interval_ms: N}";
  if (node.IsMap()) {
    RETURN_IF_ERROR(CheckKnownKeys(node, {"interval_ms"}, "spool.fsync."));
    ASSIGN_OR_RETURN(auto ms, ReadInt(node, "interval_ms", "spool.fsync.", 1,
                                      kMaxIntervalMs));
    if (!ms) return FieldError(node, "spool.fsync.interval_ms", "required");
    o.fsync_always = false;
    o.fsync_interval_ms = *ms;
    return absl::OkStatus();
  }
  if (!node.IsScalar()) return FieldError(node, "spool.fsync", kWhat);
  if (node.Scalar() == "always") {
    o.fsync_always = true;
    return absl::OkStatus();
  }
  int64_t ms = 0;
  if (!absl::SimpleAtoi(node.Scalar(), &ms) || ms < 1 || ms > kMaxIntervalMs) {
    return FieldError(node, "spool.fsync",
                      absl::StrCat(kWhat, ", got '", node.Scalar(), "'"));
  }
  o.fsync_always = false;
  o.fsync_interval_ms = ms;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SpoolOptions> ParseSpoolOptions(const YAML::Node& node) {
  SpoolOptions o;
  RETURN_IF_ERROR(RequireMap(node, "spool"));
  o.line = node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
  RETURN_IF_ERROR(CheckKnownKeys(
      node, {"dir", "max_bytes", "fsync", "when_full", "segment_bytes"},
      "spool."));
  ASSIGN_OR_RETURN(auto dir, ReadString(node, "dir", "spool."));
  if (!dir || dir->empty()) {
    return FieldError(node, "spool.dir",
                      "required (a directory this module alone writes)");
  }
  o.dir = *dir;
  while (o.dir.size() > 1 && o.dir.back() == '/') o.dir.pop_back();
  ASSIGN_OR_RETURN(auto max_bytes, ReadInt(node, "max_bytes", "spool.",
                                           int64_t{1} << 20, int64_t{1} << 50));
  if (max_bytes) o.max_bytes = *max_bytes;
  const YAML::Node fsync = node["fsync"];
  o.fsync_always = true;
  if (fsync.IsDefined() && !fsync.IsNull()) RETURN_IF_ERROR(ParseFsync(fsync, o));
  ASSIGN_OR_RETURN(auto when_full, ReadString(node, "when_full", "spool."));
  if (when_full) {
    if (*when_full == "reject") {
      o.when_full = SpoolOptions::WhenFull::kReject;
    } else if (*when_full == "block") {
      o.when_full = SpoolOptions::WhenFull::kBlock;
    } else {
      return FieldError(node["when_full"], "spool.when_full",
                        absl::StrCat("must be block or reject, got '",
                                     *when_full, "'"));
    }
  }
  ASSIGN_OR_RETURN(auto segment, ReadInt(node, "segment_bytes", "spool.", 4096,
                                         int64_t{1} << 32));
  if (segment) {
    if (*segment > o.max_bytes) {
      return FieldError(node["segment_bytes"], "spool.segment_bytes",
                        absl::StrCat("must not exceed spool.max_bytes (",
                                     o.max_bytes, ")"));
    }
    o.segment_bytes = *segment;
  } else {
    o.segment_bytes = std::min<int64_t>(int64_t{64} << 20, o.max_bytes / 4);
  }
  return o;
}

}  // namespace streamgate
