// RouteTable: the live routing version — the Router (module table) ingest
// uses now, replaced whole when a SIGHUP reload changes the modules. Each
// input takes one snapshot and routes through it from match to publish, so
// it is routed entirely by the old table or entirely by the new one, never
// a mix. A reload waits (WaitUnused) until no input holds the old table
// before it closes the queues that only the old table reaches.
//
// Threading: Snapshot from every ingest thread; Replace and WaitUnused from
// the reload thread. Readers and Replace share a lock only for a pointer
// copy, so a reload never makes ingest wait.
#pragma once

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/core/router.h"

namespace streamgate {

class RouteTable {
 public:
  explicit RouteTable(std::shared_ptr<Router> router);

  // The current table; stays valid while held, whatever replaces it.
  std::shared_ptr<Router> Snapshot() const;
  // Swaps in `router` (not null) and returns the table it replaced.
  std::shared_ptr<Router> Replace(std::shared_ptr<Router> router);

  // Blocks until `old` (from Replace) is held by nobody but the caller, or
  // `deadline` passes; true when it is. An input holds a table only for
  // one publish (microseconds), so this returns almost at once.
  static bool WaitUnused(const std::shared_ptr<Router>& old,
                         absl::Time deadline);

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<Router> router_ ABSL_GUARDED_BY(mu_);
};

}  // namespace streamgate
