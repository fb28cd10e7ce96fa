#include "sinks/aws/imds_credentials_provider.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "sinks/aws/json_credentials.h"

namespace streamgate::aws {
namespace {

constexpr char kDefaultEndpoint[] = "http://169.254.169.254";
constexpr char kCredentialsPath[] = "/latest/meta-data/iam/security-credentials/";
constexpr char kTokenTtlSeconds[] = "21600";

}  // namespace

ImdsCredentialsProvider::ImdsCredentialsProvider(const Environment& env,
                                                 HttpOptions http)
    : env_(env), http_(std::move(http)) {}

absl::StatusOr<std::string> ImdsCredentialsProvider::Get(
    const std::string& base, const std::string& path, const std::string& token) const {
  absl::StatusOr<HttpResponse> response = http_.Fetch(
      "GET", base + path, {{"x-aws-ec2-metadata-token", token}}, "");
  if (!response.ok()) return response.status();
  if (response->status == 404) {
    return absl::NotFoundError(absl::StrCat("instance metadata ", path, ": HTTP 404"));
  }
  if (response->status != 200) {
    return absl::UnavailableError(
        absl::StrCat("instance metadata ", path, ": HTTP ", response->status));
  }
  return std::move(response->body);
}

absl::StatusOr<Credentials> ImdsCredentialsProvider::GetCredentials() {
  if (absl::AsciiStrToLower(GetNonEmptyEnv(env_, "AWS_EC2_METADATA_DISABLED").value_or("")) ==
      "true") {
    return absl::NotFoundError("disabled by AWS_EC2_METADATA_DISABLED");
  }
  std::string base = GetNonEmptyEnv(env_, "AWS_EC2_METADATA_SERVICE_ENDPOINT")
                         .value_or(kDefaultEndpoint);
  while (!base.empty() && base.back() == '/') base.pop_back();

  absl::StatusOr<HttpResponse> token_response = http_.Fetch(
      "PUT", base + "/latest/api/token",
      {{"x-aws-ec2-metadata-token-ttl-seconds", kTokenTtlSeconds}}, "");
  if (!token_response.ok()) return token_response.status();
  if (token_response->status != 200) {
    return absl::UnavailableError(absl::StrCat(
        "instance metadata token (IMDSv2): HTTP ", token_response->status));
  }
  const std::string token(absl::StripAsciiWhitespace(token_response->body));
  if (token.empty() || token.find_first_of("\r\n") != std::string::npos) {
    return absl::UnavailableError("instance metadata token (IMDSv2) is malformed");
  }

  absl::StatusOr<std::string> roles = Get(base, kCredentialsPath, token);
  if (absl::IsNotFound(roles.status())) {
    return absl::NotFoundError("no IAM role is attached to this instance");
  }
  if (!roles.ok()) return roles.status();
  // One role per instance profile; take the first line.
  std::string role(absl::StripAsciiWhitespace(
      absl::string_view(*roles).substr(0, roles->find('\n'))));
  if (role.empty()) return absl::NotFoundError("no IAM role is attached to this instance");
  if (role.find_first_of("/?#% ") != std::string::npos) {
    return absl::UnavailableError("instance metadata returned a malformed role name");
  }
  absl::StatusOr<std::string> document = Get(base, kCredentialsPath + role, token);
  if (!document.ok()) return document.status();
  return ParseJsonCredentials(*document, "instance metadata");
}

}  // namespace streamgate::aws
