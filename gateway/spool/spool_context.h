// SpoolContext: what every part of one spool shares — the file system, the
// directory, the prefix of its messages ("module 'x': spool <dir>"), the
// logger and the counters. Owned by the SpoolQueue; the parts (log writer,
// log reader, recovery, collector) hold a reference.
//
// Threading: immutable after construction except the counters (atomics);
// the logger is thread-safe.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "gateway/common/logging.h"
#include "gateway/spool/spool_env.h"
#include "gateway/spool/spool_stats.h"

namespace streamgate {
namespace spool {

struct SpoolContext {
  // `w` names the spool in errors ("module 'x': spool <dir>"); a module's
  // own logger already names the module, so its lines say "spool <dir>".
  SpoolContext(SpoolEnv* e, std::string d, std::string w,
               std::shared_ptr<spdlog::logger> l, uint32_t mode = 0640)
      : env(e),
        dir(std::move(d)),
        file_mode(mode),
        where(std::move(w)),
        log_where(l ? "spool " + dir : where),
        logger(std::move(l)) {}

  // The logger given at construction, else spdlog's default logger as it is
  // at the time of the call (tests and the server may replace it).
  spdlog::logger& log() const {
    return logger ? *logger : *spdlog::default_logger_raw();
  }

  std::string SegmentPath(uint64_t seq) const {
    return absl::StrFormat("%s/seg-%020u.log", dir, seq);
  }

  SpoolEnv* const env;
  const std::string dir;
  const uint32_t file_mode;     // of the files the spool creates
  const std::string where;      // "module 'x': spool <dir>" for errors
  const std::string log_where;  // the same, for log lines
  const std::shared_ptr<spdlog::logger> logger;
  mutable SpoolStats stats;  // counters bumped by every part
};

}  // namespace spool
}  // namespace streamgate
