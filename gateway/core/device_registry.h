// DeviceRegistry: the live device registry — the current DeviceTable
// (gateway/core/registry/device_table.h), built from the config's inline
// `devices:` and its `devices_file`, replaced whole on SIGHUP.
//
// Threading: Snapshot is called from every ingest thread; Replace from the
// reload thread. The new table is built before Replace, off any lock;
// readers and Replace share a lock only for a pointer copy, so a reload
// never makes ingest wait for a file load.
#pragma once

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "gateway/core/registry/device_table.h"

namespace streamgate {

class DeviceRegistry {
 public:
  explicit DeviceRegistry(std::shared_ptr<const DeviceTable> devices);

  // A snapshot that stays valid while held, whatever reloads happen.
  std::shared_ptr<const DeviceTable> Snapshot() const;
  // Swaps in `devices` (not null); the old table is freed by its last
  // holder.
  void Replace(std::shared_ptr<const DeviceTable> devices);

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const DeviceTable> devices_ ABSL_GUARDED_BY(mu_);
};

}  // namespace streamgate
