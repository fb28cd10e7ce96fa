// ImdsCredentialsProvider: EC2 instance-profile credentials through the
// instance metadata service, IMDSv2 only: PUT /latest/api/token (TTL
// header), then GET /latest/meta-data/iam/security-credentials/ for the
// role name, then that role's credentials, both with the token header.
// Endpoint http://169.254.169.254, overridable by
// AWS_EC2_METADATA_SERVICE_ENDPOINT; AWS_EC2_METADATA_DISABLED=true turns
// the provider off. Use short timeouts (HttpOptions) so a machine without
// IMDS fails fast. Wrap in a CachingCredentialsProvider.
//
// Threading: thread-safe; blocks on the network for at most the timeouts.
#pragma once

#include <string>

#include "sinks/aws/credentials_provider.h"
#include "sinks/aws/environment.h"
#include "sinks/aws/http_client.h"

namespace streamgate::aws {

class ImdsCredentialsProvider : public CredentialsProvider {
 public:
  // `env` must outlive this provider.
  ImdsCredentialsProvider(const Environment& env, HttpOptions http);

  // NotFound when disabled or when the instance has no IAM role.
  absl::StatusOr<Credentials> GetCredentials() override;

 private:
  // GET base + path with the session token; the body of a 200 answer.
  absl::StatusOr<std::string> Get(const std::string& base, const std::string& path,
                                  const std::string& token) const;

  const Environment& env_;
  const HttpClient http_;
};

}  // namespace streamgate::aws
