#include "sinks/aws/chain_credentials_provider.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace streamgate::aws {

ChainCredentialsProvider::ChainCredentialsProvider(std::vector<Link> links)
    : links_(std::move(links)) {}

absl::StatusOr<Credentials> ChainCredentialsProvider::GetCredentials() {
  int winner;
  {
    absl::MutexLock lock(&mu_);
    winner = last_winner_;
  }
  if (winner >= 0) {
    absl::StatusOr<Credentials> credentials = links_[winner].provider->GetCredentials();
    if (credentials.ok()) return credentials;
  }
  std::vector<std::string> reasons;
  absl::StatusCode code = absl::StatusCode::kNotFound;
  for (size_t i = 0; i < links_.size(); ++i) {
    absl::StatusOr<Credentials> credentials = links_[i].provider->GetCredentials();
    if (credentials.ok()) {
      absl::MutexLock lock(&mu_);
      last_winner_ = static_cast<int>(i);
      return credentials;
    }
    if (code == absl::StatusCode::kNotFound && !absl::IsNotFound(credentials.status())) {
      code = credentials.status().code();
    }
    reasons.push_back(absl::StrCat(links_[i].name, ": ", credentials.status().message()));
  }
  return absl::Status(code, absl::StrCat("no AWS credentials found (",
                                         absl::StrJoin(reasons, "; "), ")"));
}

}  // namespace streamgate::aws
