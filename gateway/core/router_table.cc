#include "gateway/core/router_table.h"

#include <utility>

#include "absl/time/clock.h"

namespace streamgate {

RouteTable::RouteTable(std::shared_ptr<Router> router)
    : router_(std::move(router)) {}

std::shared_ptr<Router> RouteTable::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return router_;
}

std::shared_ptr<Router> RouteTable::Replace(std::shared_ptr<Router> router) {
  absl::MutexLock lock(&mu_);
  router_.swap(router);
  return router;
}

bool RouteTable::WaitUnused(const std::shared_ptr<Router>& old,
                            absl::Time deadline) {
  // No new holder can appear (the table is no longer handed out), so the
  // count only falls; polling is enough for a once-per-reload wait.
  while (old.use_count() > 1) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Microseconds(200));
  }
  return true;
}

}  // namespace streamgate
