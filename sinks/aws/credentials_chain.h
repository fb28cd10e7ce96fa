// The one entry point the Kinesis sink (and streamgate-tail) use to get AWS
// credentials: MakeCredentialsProvider builds the AWS default chain, with
// STS AssumeRole on top when a role_arn is configured, all cached.
//
// Default chain, first provider with credentials wins:
//   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY [, AWS_SESSION_TOKEN]
//   2. profile: AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and
//      AWS_CONFIG_FILE (~/.aws/config), profile AWS_PROFILE ("default");
//      re-read every 5 minutes
//   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
//      [+ AWS_ROLE_SESSION_NAME] -> STS AssumeRoleWithWebIdentity
//   4. container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI with
//      AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]
//   5. EC2 instance metadata, IMDSv2 (AWS_EC2_METADATA_SERVICE_ENDPOINT,
//      AWS_EC2_METADATA_DISABLED)
// With role_arn: STS AssumeRole (RoleArn, RoleSessionName, ExternalId when
// set, DurationSeconds), SigV4-signed with the chain's credentials.
// Credentials with an Expiration are refreshed 5 minutes before it (a
// quarter of the lifetime for short ones). Both STS calls go to
// sts_endpoint, default https://sts.{region}.amazonaws.com.
//
// Providers read the environment at call time, so nothing is probed at
// construction: the first GetCredentials() call does the network work.
//
// Threading: the returned provider is thread-safe; GetCredentials blocks on
// the network when refreshing (call it from a sink thread). Errors never
// contain secrets.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sinks/aws/clock.h"
#include "sinks/aws/credentials_provider.h"
#include "sinks/aws/environment.h"

namespace streamgate::aws {

struct CredentialsOptions {
  std::string region;        // required: STS signing region and endpoint
  std::string role_arn;      // empty: use the chain's credentials directly
  std::string external_id;   // only with role_arn
  std::string role_session_name;  // empty: "streamgate-<unix seconds>"
  std::string sts_endpoint;  // empty: https://sts.{region}.amazonaws.com
  absl::Duration role_duration = absl::Hours(1);  // 15 min .. 12 h

  // STS calls.
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(10);
  std::string ca_file;       // empty: system CA store
  bool verify_tls = true;
  // Container and instance metadata calls (link-local, no proxy): short so
  // a machine without them does not stall start-up.
  absl::Duration metadata_timeout = absl::Seconds(1);

  // Injected for tests; null means the real process environment / clock.
  // When set, they must outlive the provider.
  const Environment* env = nullptr;
  const Clock* clock = nullptr;
};

// Builds the provider described above. InvalidArgument (naming the field)
// for an unusable option: empty region, external_id or role_session_name
// without role_arn, a role_duration outside 900..43200 s, a malformed
// sts_endpoint or role_session_name.
absl::StatusOr<std::unique_ptr<CredentialsProvider>> MakeCredentialsProvider(
    const CredentialsOptions& options);

}  // namespace streamgate::aws
