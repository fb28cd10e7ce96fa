#include "gateway/server/registry_reloader.h"

#include <malloc.h>

#include <utility>

#include "absl/time/clock.h"
#include "gateway/common/logging.h"

namespace streamgate {

RegistryReloader::RegistryReloader(Loader load, Publisher publish)
    : load_(std::move(load)),
      publish_(std::move(publish)),
      thread_([this] { Run(); }) {}

RegistryReloader::~RegistryReloader() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void RegistryReloader::Request() {
  absl::MutexLock lock(&mu_);
  pending_ = true;
}

void RegistryReloader::WaitIdle() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](RegistryReloader *r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
        return !r->pending_ && !r->loading_;
      },
      this));
}

uint64_t RegistryReloader::loads() const {
  absl::MutexLock lock(&mu_);
  return loads_;
}

uint64_t RegistryReloader::failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

void RegistryReloader::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](RegistryReloader *r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
            return r->pending_ || r->stop_;
          },
          this));
      if (stop_) return;
      pending_ = false;
      loading_ = true;
    }
    const absl::Time start = absl::Now();
    auto table = load_();
    const bool ok = table.ok();
    if (ok) {
      spdlog::info("SIGHUP: config and device registry loaded in {} ms",
                   absl::ToInt64Milliseconds(absl::Now() - start));
      publish_(*std::move(table));
      // The old table and the load's scratch rows were freed into this
      // thread's malloc arena; hand them back to the system, or the RSS
      // keeps the high-water mark of every reload.
      malloc_trim(0);
    } else {
      spdlog::error("SIGHUP: reload refused: {}; keeping the current config",
                    table.status().message());
    }
    absl::MutexLock lock(&mu_);
    loading_ = false;
    ++loads_;
    if (!ok) ++failures_;
  }
}

}  // namespace streamgate
