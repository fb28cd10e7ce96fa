// ModuleLogs: each module's recent log entries (time, level, message) in a
// bounded in-memory ring, for the Admin service's GetModuleLog and the
// module state in ListModules. Filled from spdlog: one process-wide sink on
// the default logger hands every message to each live ModuleLogs, which
// keeps it if the message names one of its modules — by its prefix
// ("module 'ID': ..." or "module ID: ...") or, failing that, by a
// "module 'ID'" anywhere in it (e.g. a gRPC rejection naming a full queue).
// Only messages the logger's level lets through are seen.
//
// Threading: thread-safe; each ring has its own lock. Construction attaches
// to the dispatch sink and destruction detaches, from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "spdlog/common.h"

namespace streamgate {

struct ModuleLogEntry {
  absl::Time time;
  spdlog::level::level_enum level = spdlog::level::info;
  std::string message;
};

// One module's ring.
class ModuleLogRing {
 public:
  explicit ModuleLogRing(size_t capacity) : capacity_(capacity) {}

  void Add(ModuleLogEntry entry);
  // The newest `limit` entries at `min_level` or above, oldest first.
  std::vector<ModuleLogEntry> Recent(spdlog::level::level_enum min_level,
                                     size_t limit) const;
  // The newest ERROR (or CRITICAL) entry, if any was logged.
  absl::optional<ModuleLogEntry> LastError() const;
  uint64_t errors_total() const;

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<ModuleLogEntry> entries_ ABSL_GUARDED_BY(mu_);
  absl::optional<ModuleLogEntry> last_error_ ABSL_GUARDED_BY(mu_);
  uint64_t errors_total_ ABSL_GUARDED_BY(mu_) = 0;
};

class ModuleLogs {
 public:
  static constexpr size_t kDefaultCapacity = 1000;

  // Attaches to the default logger (installing the dispatch sink on first
  // use).
  explicit ModuleLogs(const std::vector<std::string>& module_ids,
                      size_t capacity = kDefaultCapacity);
  ~ModuleLogs();
  ModuleLogs(const ModuleLogs&) = delete;
  ModuleLogs& operator=(const ModuleLogs&) = delete;

  // nullptr for an unknown module.
  const ModuleLogRing* Find(absl::string_view module_id) const;

  // Routes one message; what the dispatch sink calls.
  void Route(absl::Time time, spdlog::level::level_enum level,
             absl::string_view message);

  // The module a message names, or "" (exposed for tests).
  static absl::string_view ModuleNamed(absl::string_view message);

 private:
  absl::flat_hash_map<std::string, std::unique_ptr<ModuleLogRing>> rings_;
};

// Parses "" (no minimum: trace), "trace|debug|info|warn|warning|error|critical" (any case).
absl::optional<spdlog::level::level_enum> ParseLogLevel(absl::string_view text);

}  // namespace streamgate
