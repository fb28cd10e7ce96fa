#include "sinks/aws/environment_credentials_provider.h"

#include "absl/status/status.h"

namespace streamgate::aws {

absl::StatusOr<Credentials> EnvironmentCredentialsProvider::GetCredentials() {
  absl::optional<std::string> id = GetNonEmptyEnv(env_, "AWS_ACCESS_KEY_ID");
  absl::optional<std::string> secret = GetNonEmptyEnv(env_, "AWS_SECRET_ACCESS_KEY");
  if (!id.has_value() && !secret.has_value()) {
    return absl::NotFoundError("AWS_ACCESS_KEY_ID is not set");
  }
  if (!id.has_value() || !secret.has_value()) {
    return absl::InvalidArgumentError(
        "only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set");
  }
  Credentials credentials;
  credentials.access_key_id = *std::move(id);
  credentials.secret_access_key = *std::move(secret);
  credentials.session_token =
      GetNonEmptyEnv(env_, "AWS_SESSION_TOKEN").value_or(std::string());
  return credentials;
}

}  // namespace streamgate::aws
