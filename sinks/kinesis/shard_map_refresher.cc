#include "sinks/kinesis/shard_map_refresher.h"

#include <algorithm>
#include <utility>

#include "gateway/common/log_text.h"

namespace streamgate::kinesis {
namespace {

// An endpoint's error text in a log line is cut to this.
constexpr size_t kMaxLoggedError = 300;

}  // namespace

ShardMapRefresher::ShardMapRefresher(std::string stream_name, absl::Duration interval,
                                     Load load, Install install,
                                     std::shared_ptr<spdlog::logger> logger)
    : stream_name_(std::move(stream_name)),
      interval_(interval),
      load_(std::move(load)),
      install_(std::move(install)),
      logger_(std::move(logger)) {}

void ShardMapRefresher::Start(bool have_map) {
  thread_ = std::thread([this, have_map] { Loop(have_map); });
}

void ShardMapRefresher::RefreshSoon() {
  absl::MutexLock lock(&mu_);
  if (soon_) return;
  soon_ = true;
  cv_.Signal();
}

void ShardMapRefresher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void ShardMapRefresher::Loop(bool have_map) {
  absl::Duration backoff = kFirstBackoff;
  bool failing = false;
  absl::Time last = absl::Now();
  absl::Time next = last + (have_map ? interval_ : backoff);
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Time due = soon_ ? std::min(next, last + kMinGap) : next;
    if (absl::Now() < due) {
      cv_.WaitWithDeadline(&mu_, due);
      continue;
    }
    soon_ = false;
    mu_.Unlock();
    absl::StatusOr<ShardMap> map = load_();
    if (map.ok()) install_(*std::move(map));
    mu_.Lock();
    last = absl::Now();
    if (map.ok()) {
      backoff = kFirstBackoff;
      failing = false;
      next = last + interval_;
      continue;
    }
    // A stale map only misplaces rate budgets: keep it and try again.
    if (!failing && !stopping_) {
      logger_->warn(
          "stream {}: shard map refresh failed ({}); keeping the old map, "
          "retrying with backoff",
          stream_name_, EscapeForLog(map.status().message(), kMaxLoggedError));
    }
    failing = true;
    next = last + backoff;
    backoff = std::min(backoff * 2, interval_);
  }
}

}  // namespace streamgate::kinesis
