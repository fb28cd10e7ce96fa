// WebIdentityCredentialsProvider: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
// [+ AWS_ROLE_SESSION_NAME] -> STS AssumeRoleWithWebIdentity (EKS IRSA,
// GitHub OIDC, ...). The token file is re-read on every call because the
// platform rotates it. Wrap in a CachingCredentialsProvider.
//
// Threading: thread-safe; blocks on the network.
#pragma once

#include "sinks/aws/clock.h"
#include "sinks/aws/credentials_provider.h"
#include "sinks/aws/environment.h"
#include "sinks/aws/sts_client.h"

namespace streamgate::aws {

class WebIdentityCredentialsProvider : public CredentialsProvider {
 public:
  // `env` and `clock` must outlive this provider.
  WebIdentityCredentialsProvider(const Environment& env, const Clock& clock,
                                 StsOptions sts);

  // NotFound when AWS_WEB_IDENTITY_TOKEN_FILE is unset.
  absl::StatusOr<Credentials> GetCredentials() override;

 private:
  const Environment& env_;
  const Clock& clock_;
  const StsClient sts_;
};

}  // namespace streamgate::aws
