#include "gateway/core/device_registry.h"

#include <utility>

namespace streamgate {

DeviceRegistry::DeviceRegistry(DeviceMap devices)
    : devices_(std::make_shared<const DeviceMap>(std::move(devices))) {}

std::shared_ptr<const DeviceMap> DeviceRegistry::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return devices_;
}

void DeviceRegistry::Replace(DeviceMap devices) {
  auto fresh = std::make_shared<const DeviceMap>(std::move(devices));
  absl::MutexLock lock(&mu_);
  devices_ = std::move(fresh);
}

}  // namespace streamgate
