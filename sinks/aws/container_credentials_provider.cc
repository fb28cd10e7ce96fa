#include "sinks/aws/container_credentials_provider.h"

#include <arpa/inet.h>

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sinks/aws/json_credentials.h"
#include "sinks/aws/url.h"

namespace streamgate::aws {
namespace {

constexpr char kEcsHost[] = "http://169.254.170.2";

bool IsAllowedPlainHttpHost(const std::string& host) {
  if (host == "localhost" || host == "169.254.170.2" || host == "169.254.170.23") {
    return true;
  }
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;  // 127.0.0.0/8
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    in6_addr eks;
    inet_pton(AF_INET6, "fd00:ec2::23", &eks);
    return IN6_IS_ADDR_LOOPBACK(&v6) || IN6_ARE_ADDR_EQUAL(&v6, &eks);
  }
  return false;
}

}  // namespace

ContainerCredentialsProvider::ContainerCredentialsProvider(const Environment& env,
                                                           HttpOptions http)
    : env_(env), http_(std::move(http)) {}

absl::StatusOr<std::string> ContainerCredentialsProvider::Url() const {
  if (absl::optional<std::string> relative =
          GetNonEmptyEnv(env_, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    if (!absl::StartsWith(*relative, "/")) {
      return absl::InvalidArgumentError(
          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with '/'");
    }
    return absl::StrCat(kEcsHost, *relative);
  }
  absl::optional<std::string> full = GetNonEmptyEnv(env_, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (!full.has_value()) {
    return absl::NotFoundError(
        "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
        "AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
  }
  absl::StatusOr<aws::Url> parsed = ParseUrl(*full);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI: ", parsed.status().message()));
  }
  if (!parsed->https && !IsAllowedPlainHttpHost(parsed->host)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http is allowed only to a "
        "loopback or ECS/EKS agent address, not ", parsed->host));
  }
  return *full;
}

absl::StatusOr<std::string> ContainerCredentialsProvider::AuthorizationToken() const {
  std::string token;
  if (absl::optional<std::string> file =
          GetNonEmptyEnv(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    absl::StatusOr<std::string> contents = env_.ReadFile(*file);
    if (!contents.ok()) {
      return absl::Status(contents.status().code(),
                          absl::StrCat("container authorization token: ",
                                       contents.status().message()));
    }
    token = std::string(absl::StripAsciiWhitespace(*contents));
  } else {
    token = GetNonEmptyEnv(env_, "AWS_CONTAINER_AUTHORIZATION_TOKEN").value_or("");
  }
  // A newline would let the token inject headers.
  if (token.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(
        "container authorization token contains a line break");
  }
  return token;
}

absl::StatusOr<Credentials> ContainerCredentialsProvider::GetCredentials() {
  absl::StatusOr<std::string> url = Url();
  if (!url.ok()) return url.status();
  absl::StatusOr<std::string> token = AuthorizationToken();
  if (!token.ok()) return token.status();
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Accept", "application/json"}};
  if (!token->empty()) headers.emplace_back("Authorization", *token);
  absl::StatusOr<HttpResponse> response = http_.Fetch("GET", *url, headers, "");
  if (!response.ok()) return response.status();
  if (response->status != 200) {
    return absl::UnavailableError(absl::StrCat(
        "container credentials endpoint answered HTTP ", response->status));
  }
  return ParseJsonCredentials(response->body, "container credentials");
}

}  // namespace streamgate::aws
