// AssumeRoleCredentialsProvider: STS AssumeRole (role ARN, session name,
// optional external id, duration) signed with the credentials of any base
// provider. Every call asks STS; wrap in a CachingCredentialsProvider so
// the role is assumed once per credential lifetime.
//
// Threading: thread-safe if the base provider is; blocks on the network.
#pragma once

#include <memory>

#include "sinks/aws/credentials_provider.h"
#include "sinks/aws/sts_client.h"

namespace streamgate::aws {

class AssumeRoleCredentialsProvider : public CredentialsProvider {
 public:
  // `clock` (signing time) must outlive this provider.
  AssumeRoleCredentialsProvider(std::unique_ptr<CredentialsProvider> base,
                                AssumeRoleParams params, StsOptions sts,
                                const Clock& clock);

  absl::StatusOr<Credentials> GetCredentials() override;

 private:
  const std::unique_ptr<CredentialsProvider> base_;
  const AssumeRoleParams params_;
  const StsClient sts_;
};

}  // namespace streamgate::aws
