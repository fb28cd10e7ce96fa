#include "sinks/aws/credentials_chain.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "sinks/aws/assume_role_credentials_provider.h"
#include "sinks/aws/caching_credentials_provider.h"
#include "sinks/aws/chain_credentials_provider.h"
#include "sinks/aws/container_credentials_provider.h"
#include "sinks/aws/environment_credentials_provider.h"
#include "sinks/aws/http_client.h"
#include "sinks/aws/imds_credentials_provider.h"
#include "sinks/aws/profile_credentials_provider.h"
#include "sinks/aws/sts_client.h"
#include "sinks/aws/url.h"
#include "sinks/aws/web_identity_credentials_provider.h"

namespace streamgate::aws {
namespace {

// STS: [\w+=,.@-]{2,64}
bool ValidSessionName(const std::string& name) {
  if (name.size() < 2 || name.size() > 64) return false;
  for (unsigned char c : name) {
    if (!absl::ascii_isalnum(c) && std::string("_+=,.@-").find(c) == std::string::npos) {
      return false;
    }
  }
  return true;
}

absl::Status Validate(const CredentialsOptions& options) {
  if (options.region.empty()) {
    return absl::InvalidArgumentError("credentials: region is required");
  }
  if (options.role_arn.empty() && !options.external_id.empty()) {
    return absl::InvalidArgumentError("credentials: external_id is set but role_arn is not");
  }
  if (options.role_arn.empty() && !options.role_session_name.empty()) {
    return absl::InvalidArgumentError(
        "credentials: role_session_name is set but role_arn is not");
  }
  if (!options.role_arn.empty() && options.role_arn.rfind("arn:", 0) != 0) {
    return absl::InvalidArgumentError("credentials: role_arn must start with 'arn:'");
  }
  if (!options.role_session_name.empty() && !ValidSessionName(options.role_session_name)) {
    return absl::InvalidArgumentError(
        "credentials: role_session_name must be 2-64 characters of [A-Za-z0-9_+=,.@-]");
  }
  if (options.role_duration < absl::Seconds(900) || options.role_duration > absl::Hours(12)) {
    return absl::InvalidArgumentError(
        "credentials: role_duration must be between 900 and 43200 seconds");
  }
  if (!options.sts_endpoint.empty()) {
    absl::StatusOr<Url> url = ParseUrl(options.sts_endpoint);
    if (!url.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("credentials: sts_endpoint: ", url.status().message()));
    }
  }
  if (options.connect_timeout <= absl::ZeroDuration() ||
      options.request_timeout <= absl::ZeroDuration() ||
      options.metadata_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("credentials: timeouts must be positive");
  }
  return absl::OkStatus();
}

std::unique_ptr<CredentialsProvider> Cached(std::unique_ptr<CredentialsProvider> source,
                                            const Clock& clock, std::string name,
                                            absl::Duration static_max_age =
                                                absl::InfiniteDuration()) {
  CachingOptions caching;
  caching.name = std::move(name);
  caching.static_max_age = static_max_age;
  return std::make_unique<CachingCredentialsProvider>(std::move(source), clock,
                                                      std::move(caching));
}

}  // namespace

absl::StatusOr<std::unique_ptr<CredentialsProvider>> MakeCredentialsProvider(
    const CredentialsOptions& options) {
  if (absl::Status status = Validate(options); !status.ok()) return status;
  const Environment& env = options.env != nullptr ? *options.env : DefaultEnvironment();
  const Clock& clock = options.clock != nullptr ? *options.clock : DefaultClock();

  StsOptions sts;
  sts.region = options.region;
  sts.endpoint = options.sts_endpoint;
  sts.http.connect_timeout = options.connect_timeout;
  sts.http.request_timeout = options.request_timeout;
  sts.http.ca_file = options.ca_file;
  sts.http.verify_tls = options.verify_tls;

  HttpOptions metadata;
  metadata.connect_timeout = options.metadata_timeout;
  metadata.request_timeout = 2 * options.metadata_timeout;
  metadata.use_proxy = false;
  metadata.ca_file = options.ca_file;  // a FULL_URI may be https

  std::vector<ChainCredentialsProvider::Link> links;
  links.push_back({"environment", std::make_unique<EnvironmentCredentialsProvider>(env)});
  links.push_back({"profile", Cached(std::make_unique<ProfileCredentialsProvider>(env), clock,
                                     "profile", absl::Minutes(5))});
  links.push_back({"web identity",
                   Cached(std::make_unique<WebIdentityCredentialsProvider>(env, clock, sts),
                          clock, "web identity")});
  links.push_back({"container",
                   Cached(std::make_unique<ContainerCredentialsProvider>(env, metadata), clock,
                          "container credentials")});
  links.push_back({"instance metadata",
                   Cached(std::make_unique<ImdsCredentialsProvider>(env, metadata), clock,
                          "instance metadata")});
  std::unique_ptr<CredentialsProvider> chain =
      std::make_unique<ChainCredentialsProvider>(std::move(links));
  if (options.role_arn.empty()) return chain;

  AssumeRoleParams params;
  params.role_arn = options.role_arn;
  params.external_id = options.external_id;
  params.duration = options.role_duration;
  params.role_session_name = options.role_session_name.empty()
                                 ? absl::StrCat("streamgate-", absl::ToUnixSeconds(clock.Now()))
                                 : options.role_session_name;
  return Cached(std::make_unique<AssumeRoleCredentialsProvider>(std::move(chain),
                                                                std::move(params), sts, clock),
                clock, "sts assume role");
}

}  // namespace streamgate::aws
