#include "gateway/core/device_registry.h"

#include <utility>

namespace streamgate {

DeviceRegistry::DeviceRegistry(std::shared_ptr<const DeviceTable> devices)
    : devices_(devices ? std::move(devices)
                       : std::make_shared<const DeviceTable>()) {}

std::shared_ptr<const DeviceTable> DeviceRegistry::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return devices_;
}

void DeviceRegistry::Replace(std::shared_ptr<const DeviceTable> devices) {
  if (!devices) devices = std::make_shared<const DeviceTable>();
  {
    absl::MutexLock lock(&mu_);
    devices_.swap(devices);
  }
  // `devices` now holds the old table: freed here, outside the lock, unless
  // a reader still holds it.
}

}  // namespace streamgate
