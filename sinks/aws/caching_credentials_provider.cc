#include "sinks/aws/caching_credentials_provider.h"

#include <algorithm>
#include <utility>

#include "spdlog/spdlog.h"

namespace streamgate::aws {

CachingCredentialsProvider::CachingCredentialsProvider(
    std::unique_ptr<CredentialsProvider> source, const Clock& clock,
    CachingOptions options)
    : source_(std::move(source)), clock_(clock), options_(std::move(options)) {}

absl::optional<absl::StatusOr<Credentials>> CachingCredentialsProvider::FromCache(
    absl::Time now) const {
  if (cached_.has_value() && now < cached_->refresh_at) {
    return absl::StatusOr<Credentials>(cached_->credentials);
  }
  if (now < retry_after_) {
    // A fetch failed recently: do not hammer the source.
    if (cached_.has_value() && now < cached_->valid_until) {
      return absl::StatusOr<Credentials>(cached_->credentials);
    }
    return absl::StatusOr<Credentials>(last_error_);
  }
  return absl::nullopt;
}

CachingCredentialsProvider::Entry CachingCredentialsProvider::MakeEntry(
    Credentials credentials, absl::Time fetched_at) const {
  Entry entry;
  if (credentials.expiration.has_value()) {
    const absl::Time expiration = *credentials.expiration;
    const absl::Duration lifetime = std::max(expiration - fetched_at, absl::ZeroDuration());
    const absl::Duration window =
        std::min(options_.max_refresh_window, lifetime * options_.lifetime_fraction);
    entry.refresh_at = expiration - window;
    entry.valid_until = expiration;
  } else {
    entry.refresh_at = fetched_at + options_.static_max_age;
    entry.valid_until = entry.refresh_at;
  }
  entry.credentials = std::move(credentials);
  return entry;
}

absl::StatusOr<Credentials> CachingCredentialsProvider::GetCredentials() {
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_.Now();
    if (auto answer = FromCache(now)) return *std::move(answer);
    // Still valid but due for refresh: if another thread is already
    // fetching, use what we have rather than wait.
    if (cached_.has_value() && now < cached_->valid_until && !fetch_mu_.TryLock()) {
      return cached_->credentials;
    }
    // Either we hold fetch_mu_ now or we must wait for it below.
    if (!(cached_.has_value() && now < cached_->valid_until)) {
      mu_.Unlock();
      fetch_mu_.Lock();
      mu_.Lock();
      // Another thread may have refreshed while we waited.
      if (auto answer = FromCache(clock_.Now())) {
        fetch_mu_.Unlock();
        return *std::move(answer);
      }
    }
  }
  // fetch_mu_ is held here.
  absl::StatusOr<Credentials> fetched = source_->GetCredentials();
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  absl::StatusOr<Credentials> result;
  if (fetched.ok()) {
    cached_ = MakeEntry(*std::move(fetched), now);
    last_error_ = absl::OkStatus();
    retry_after_ = absl::InfinitePast();
    result = cached_->credentials;
  } else {
    last_error_ = fetched.status();
    retry_after_ = now + options_.failure_backoff;
    if (cached_.has_value() && now < cached_->valid_until) {
      // Status messages carry no secrets by construction.
      spdlog::warn("aws credentials: refreshing {} failed, using cached "
                   "credentials valid until {}: {}",
                   options_.name, absl::FormatTime(cached_->valid_until),
                   fetched.status().ToString());
      result = cached_->credentials;
    } else {
      result = fetched.status();
    }
  }
  fetch_mu_.Unlock();
  return result;
}

}  // namespace streamgate::aws
