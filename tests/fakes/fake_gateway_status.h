// FakeGatewayStatus: a GatewayStatus the test fills — module statuses and
// per-module log entries — for the Admin service and streamgate-ctl tests.
// ModuleLog keeps the contract: NOT_FOUND for an unknown module, entries at
// min_level or above, the newest `limit`, oldest first.
//
// Threading: all methods are safe from any thread (one mutex).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gateway/api/gateway_status.h"

namespace streamgate {
namespace testing {

class FakeGatewayStatus : public GatewayStatus {
 public:
  // Replaces the modules; each gets an empty log unless it has one.
  void SetModules(std::vector<ModuleStatus> modules) {
    absl::MutexLock lock(&mu_);
    modules_ = std::move(modules);
    for (const ModuleStatus& m : modules_) logs_[m.id];
  }
  void AddLog(const std::string& module_id, LogEntry entry) {
    absl::MutexLock lock(&mu_);
    logs_[module_id].push_back(std::move(entry));
  }

  std::vector<ModuleStatus> Modules() const override {
    absl::MutexLock lock(&mu_);
    return modules_;
  }

  absl::StatusOr<std::vector<LogEntry>> ModuleLog(
      absl::string_view module_id, spdlog::level::level_enum min_level,
      size_t limit) const override {
    absl::MutexLock lock(&mu_);
    auto it = logs_.find(std::string(module_id));
    if (it == logs_.end()) {
      return absl::NotFoundError(absl::StrCat("module ", module_id));
    }
    std::vector<LogEntry> out;
    for (const LogEntry& e : it->second) {
      if (e.level >= min_level) out.push_back(e);
    }
    if (out.size() > limit) out.erase(out.begin(), out.end() - limit);
    return out;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<ModuleStatus> modules_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<LogEntry>> logs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace testing
}  // namespace streamgate
