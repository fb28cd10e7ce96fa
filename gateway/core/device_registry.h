// DeviceRegistry: device id → home id and class, from the config's `devices`
// list. Replaced whole on SIGHUP.
//
// Threading: Lookup is called from every ingest thread; Replace from the
// main thread. Readers take a shared snapshot under a short lock, so a reload
// never blocks ingest for longer than a pointer copy.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace streamgate {

struct DeviceInfo {
  int64_t home_id = 0;
  std::string device_class;
};

using DeviceMap = absl::flat_hash_map<int64_t, DeviceInfo>;

class DeviceRegistry {
 public:
  explicit DeviceRegistry(DeviceMap devices);

  // A snapshot that stays valid while held, whatever reloads happen.
  std::shared_ptr<const DeviceMap> Snapshot() const;
  void Replace(DeviceMap devices);

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const DeviceMap> devices_ ABSL_GUARDED_BY(mu_);
};

}  // namespace streamgate
