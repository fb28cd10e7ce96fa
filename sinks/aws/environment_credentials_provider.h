// EnvironmentCredentialsProvider: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
// and optional AWS_SESSION_TOKEN, read on every call (cheap; no cache).
//
// Threading: thread-safe if the Environment is.
#pragma once

#include "sinks/aws/credentials_provider.h"
#include "sinks/aws/environment.h"

namespace streamgate::aws {

class EnvironmentCredentialsProvider : public CredentialsProvider {
 public:
  // `env` must outlive this provider.
  explicit EnvironmentCredentialsProvider(const Environment& env) : env_(env) {}

  // NotFound when AWS_ACCESS_KEY_ID is unset; InvalidArgument when only one
  // of the key id and the secret is set.
  absl::StatusOr<Credentials> GetCredentials() override;

 private:
  const Environment& env_;
};

}  // namespace streamgate::aws
