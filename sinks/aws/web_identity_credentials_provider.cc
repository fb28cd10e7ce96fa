#include "sinks/aws/web_identity_credentials_provider.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace streamgate::aws {

WebIdentityCredentialsProvider::WebIdentityCredentialsProvider(
    const Environment& env, const Clock& clock, StsOptions sts)
    : env_(env), clock_(clock), sts_(std::move(sts), clock) {}

absl::StatusOr<Credentials> WebIdentityCredentialsProvider::GetCredentials() {
  absl::optional<std::string> token_file = GetNonEmptyEnv(env_, "AWS_WEB_IDENTITY_TOKEN_FILE");
  if (!token_file.has_value()) {
    return absl::NotFoundError("AWS_WEB_IDENTITY_TOKEN_FILE is not set");
  }
  absl::optional<std::string> role_arn = GetNonEmptyEnv(env_, "AWS_ROLE_ARN");
  if (!role_arn.has_value()) {
    return absl::InvalidArgumentError(
        "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
  }
  absl::StatusOr<std::string> token = env_.ReadFile(*token_file);
  if (!token.ok()) {
    return absl::Status(token.status().code(),
                        absl::StrCat("web identity token: ", token.status().message()));
  }
  WebIdentityParams params;
  params.role_arn = *std::move(role_arn);
  params.role_session_name = GetNonEmptyEnv(env_, "AWS_ROLE_SESSION_NAME")
                                 .value_or(absl::StrCat("streamgate-", absl::ToUnixSeconds(clock_.Now())));
  params.web_identity_token = std::string(absl::StripAsciiWhitespace(*token));
  if (params.web_identity_token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("web identity token file ", *token_file, " is empty"));
  }
  return sts_.AssumeRoleWithWebIdentity(params);
}

}  // namespace streamgate::aws
