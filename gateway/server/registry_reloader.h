// RegistryReloader: SIGHUP's reload (the config's modules, then the device
// registry: see main.cc), off the main thread.
// Request() wakes the reloader's thread, which runs the loader (reads the
// config and the devices file: seconds for millions of devices) and hands
// a good table to the publisher, which swaps it in; a failed load is
// logged and the current registry kept. Requests made during a load are
// folded into one more load after it, so a burst of SIGHUPs costs two
// loads, and a load in progress never delays ingest or the main thread.
//
// Threading: Request and WaitIdle from any thread; the loader and the
// publisher run on the reloader's thread only. The destructor lets a load
// in progress finish, then joins.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gateway/core/registry/device_table.h"

namespace streamgate {

class RegistryReloader {
 public:
  using Loader =
      std::function<absl::StatusOr<std::shared_ptr<const DeviceTable>>()>;
  using Publisher = std::function<void(std::shared_ptr<const DeviceTable>)>;

  RegistryReloader(Loader load, Publisher publish);
  ~RegistryReloader();
  RegistryReloader(const RegistryReloader &) = delete;
  RegistryReloader &operator=(const RegistryReloader &) = delete;

  // Asks for a load; returns at once.
  void Request();
  // Blocks until every load requested so far has finished.
  void WaitIdle();

  // Loads finished, and those that failed (the registry was kept).
  uint64_t loads() const;
  uint64_t failures() const;

 private:
  void Run();

  const Loader load_;
  const Publisher publish_;
  mutable absl::Mutex mu_;
  bool pending_ ABSL_GUARDED_BY(mu_) = false;
  bool loading_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t loads_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t failures_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;  // last: starts after the members above exist
};

}  // namespace streamgate
