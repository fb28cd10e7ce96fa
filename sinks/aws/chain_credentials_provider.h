// ChainCredentialsProvider: asks its providers in order and returns the
// first credentials found. The provider that answered is remembered and
// asked first next time (walking the whole chain per request would re-probe
// unreachable endpoints); when it fails, the whole chain is walked again.
// When none answers, the error lists each provider's reason (reasons never
// contain secrets).
//
// Threading: thread-safe if the providers are.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sinks/aws/credentials_provider.h"

namespace streamgate::aws {

class ChainCredentialsProvider : public CredentialsProvider {
 public:
  struct Link {
    std::string name;  // for error messages: "environment", "profile", ...
    std::unique_ptr<CredentialsProvider> provider;
  };

  explicit ChainCredentialsProvider(std::vector<Link> links);

  // NotFound when every provider reported itself unconfigured; otherwise
  // the code of the first real failure.
  absl::StatusOr<Credentials> GetCredentials() override;

 private:
  const std::vector<Link> links_;
  absl::Mutex mu_;
  int last_winner_ ABSL_GUARDED_BY(mu_) = -1;
};

}  // namespace streamgate::aws
