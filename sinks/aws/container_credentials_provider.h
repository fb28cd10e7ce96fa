// ContainerCredentialsProvider: ECS / EKS Pod Identity credentials.
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is fetched from
// http://169.254.170.2; otherwise AWS_CONTAINER_CREDENTIALS_FULL_URI, which
// must be https or point at a loopback address or the ECS/EKS link-local
// agents (169.254.170.2, 169.254.170.23, fd00:ec2::23) so credentials are
// never sent to an arbitrary plain-http host. The Authorization header
// comes from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read each call) or
// else AWS_CONTAINER_AUTHORIZATION_TOKEN. Wrap in a
// CachingCredentialsProvider.
//
// Threading: thread-safe; blocks on the network for at most the timeouts.
#pragma once

#include <string>

#include "sinks/aws/credentials_provider.h"
#include "sinks/aws/environment.h"
#include "sinks/aws/http_client.h"

namespace streamgate::aws {

class ContainerCredentialsProvider : public CredentialsProvider {
 public:
  // `env` must outlive this provider. `http` should have short timeouts
  // and use_proxy false.
  ContainerCredentialsProvider(const Environment& env, HttpOptions http);

  // NotFound when neither URI variable is set.
  absl::StatusOr<Credentials> GetCredentials() override;

 private:
  absl::StatusOr<std::string> Url() const;
  absl::StatusOr<std::string> AuthorizationToken() const;  // empty: none

  const Environment& env_;
  const HttpClient http_;
};

}  // namespace streamgate::aws
