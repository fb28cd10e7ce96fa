#include "gateway/server/watchdog.h"

#include <unistd.h>

#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/common/logging.h"

namespace streamgate {

Watchdog::Watchdog(Options options, Probe probe, RssReader rss, Exit exit)
    : options_(options),
      probe_(std::move(probe)),
      rss_(std::move(rss)),
      exit_(std::move(exit)) {}

Watchdog::~Watchdog() { Stop(); }

void Watchdog::Start() {
  if (rss_thread_.joinable() || probe_thread_.joinable()) return;
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  if (options_.max_rss_bytes > 0 && rss_) {
    rss_thread_ = std::thread([this] { Loop(&Watchdog::CheckRss); });
  }
  if (probe_) {
    probe_thread_ = std::thread([this] { Loop(&Watchdog::CheckProbe); });
  }
}

void Watchdog::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (rss_thread_.joinable()) rss_thread_.join();
  if (probe_thread_.joinable()) probe_thread_.join();
}

void Watchdog::Loop(bool (Watchdog::*check)()) {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]()
                          ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.interval)) {
        return;
      }
    }
    if (!(this->*check)()) return;
  }
}

void Watchdog::Fire(const std::string &why) {
  if (!fired_.exchange(true)) exit_(why);
}

bool Watchdog::CheckRss() {
  if (fired_.load()) return false;
  if (options_.max_rss_bytes <= 0 || !rss_) return true;
  absl::StatusOr<int64_t> rss = rss_();
  if (rss.ok() && *rss > options_.max_rss_bytes) {
    Fire(absl::StrCat("resident memory ", *rss,
                      " bytes exceeds limits.max_rss_bytes (",
                      options_.max_rss_bytes, ")"));
    return false;
  }
  return true;
}

bool Watchdog::CheckProbe() {
  if (fired_.load()) return false;
  if (!probe_) return true;
  const absl::Status st = probe_(options_.timeout);
  if (st.ok()) {
    if (failed_in_a_row_ > 0) {
      spdlog::info("watchdog: the gRPC listener answers again");
    }
    failed_in_a_row_ = 0;
    return true;
  }
  ++failed_in_a_row_;
  spdlog::warn("watchdog: gRPC listener health probe {} of {} failed: {}",
               failed_in_a_row_, options_.failures, st.message());
  if (failed_in_a_row_ >= options_.failures) {
    Fire(absl::StrCat("the gRPC listener did not answer ", failed_in_a_row_,
                      " health probes in a row (last: ", st.message(), ")"));
    return false;
  }
  return true;
}

absl::StatusOr<int64_t> Watchdog::ReadSelfRss() {
  std::ifstream in("/proc/self/statm");
  int64_t size = 0, resident = 0;
  if (!(in >> size >> resident)) {
    return absl::UnavailableError("cannot read /proc/self/statm");
  }
  return resident * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace streamgate
