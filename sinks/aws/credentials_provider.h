// CredentialsProvider: where the Kinesis sink gets AWS credentials. The
// default chain follows the AWS SDKs' order: environment, shared
// credentials/config files (AWS_PROFILE), web identity token
// (AssumeRoleWithWebIdentity), container credentials, EC2 instance metadata
// (IMDSv2). An AssumeRole provider (role_arn + optional external id) can wrap
// any provider.
//
// Threading: GetCredentials is thread-safe and may block on the network while
// refreshing; call it from a sink thread, never from an ingest callback.
// Secrets never appear in a returned Status message or in a log line.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "sinks/aws/sigv4.h"

namespace streamgate::aws {

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Current credentials, refreshed well before they expire.
  virtual absl::StatusOr<Credentials> GetCredentials() = 0;
};

}  // namespace streamgate::aws
