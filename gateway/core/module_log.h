// ModuleLog: one module's logger and its recent-entry ring. Everything a
// module, its queue and its sink log goes through the module's own spdlog
// logger, which prints to the process's log sinks as "module 'ID': ..." and
// keeps the newest entries in a bounded ring for the Admin service's
// GetModuleLog and the module's state in ListModules. Attribution is by
// logger, never by scanning message text, so nothing a client sends can
// land in a module's log or change its state.
//
// Threading: thread-safe; the ring has its own lock, and spdlog loggers are
// safe to share between threads.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "gateway/api/gateway_status.h"
#include "spdlog/logger.h"

namespace streamgate {

class ModuleLog {
 public:
  static constexpr size_t kDefaultCapacity = 1000;

  // The logger's level is the default logger's at construction; its lines
  // go to the default logger's sinks as they are when a line is logged.
  explicit ModuleLog(const std::string& module_id,
                     size_t capacity = kDefaultCapacity);
  ModuleLog(const ModuleLog&) = delete;
  ModuleLog& operator=(const ModuleLog&) = delete;

  const std::shared_ptr<spdlog::logger>& logger() const { return logger_; }

  // The newest `limit` entries at `min_level` or above, oldest first.
  std::vector<LogEntry> Recent(spdlog::level::level_enum min_level,
                               size_t limit) const;
  // The newest ERROR (or CRITICAL) entry, if any was logged.
  absl::optional<LogEntry> LastError() const;
  uint64_t errors_total() const;

  // What the logger's sink calls for every line.
  void Add(LogEntry entry);

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<LogEntry> entries_ ABSL_GUARDED_BY(mu_);
  absl::optional<LogEntry> last_error_ ABSL_GUARDED_BY(mu_);
  uint64_t errors_total_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<spdlog::logger> logger_;  // last: its sink refers to this
};

}  // namespace streamgate
