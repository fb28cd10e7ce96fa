// CachingCredentialsProvider: wraps a provider whose answers are costly
// (STS, metadata endpoints, files) and reuses its credentials until shortly
// before they expire, so callers may ask for credentials on every request.
//
// Refresh policy: credentials with an Expiration are refreshed when less
// than min(max_refresh_window, lifetime * lifetime_fraction) remains, so
// 1-hour credentials refresh 5 minutes early and 15-minute ones about 4
// minutes early. Credentials without an Expiration are re-fetched after
// static_max_age (infinite by default). If a refresh fails while the cached
// credentials are still valid, those are returned (and the failure logged);
// after a failure the source is not asked again for failure_backoff.
//
// Threading: thread-safe. One caller at a time fetches from the source;
// while it does, others get the cached credentials when they are still
// valid, and otherwise wait for the fetch.
#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "sinks/aws/clock.h"
#include "sinks/aws/credentials_provider.h"

namespace streamgate::aws {

struct CachingOptions {
  std::string name;  // the source, for log lines ("sts assume role")
  absl::Duration max_refresh_window = absl::Minutes(5);
  double lifetime_fraction = 0.25;
  absl::Duration static_max_age = absl::InfiniteDuration();
  absl::Duration failure_backoff = absl::Seconds(5);
};

class CachingCredentialsProvider : public CredentialsProvider {
 public:
  // `clock` must outlive this provider.
  CachingCredentialsProvider(std::unique_ptr<CredentialsProvider> source,
                             const Clock& clock, CachingOptions options);

  absl::StatusOr<Credentials> GetCredentials() override;

 private:
  struct Entry {
    Credentials credentials;
    absl::Time refresh_at;  // fetch again from this time on
    absl::Time valid_until; // usable as a fallback until this time
  };

  // Answer from the cache when no fetch is needed; absent otherwise.
  absl::optional<absl::StatusOr<Credentials>> FromCache(absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Entry MakeEntry(Credentials credentials, absl::Time fetched_at) const;

  const std::unique_ptr<CredentialsProvider> source_;
  const Clock& clock_;
  const CachingOptions options_;

  // Serializes fetches from source_; never held together with mu_ while
  // waiting for it.
  absl::Mutex fetch_mu_;
  mutable absl::Mutex mu_;
  absl::optional<Entry> cached_ ABSL_GUARDED_BY(mu_);
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  absl::Time retry_after_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace streamgate::aws
