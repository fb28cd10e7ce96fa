#include "sinks/aws/assume_role_credentials_provider.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace streamgate::aws {

AssumeRoleCredentialsProvider::AssumeRoleCredentialsProvider(
    std::unique_ptr<CredentialsProvider> base, AssumeRoleParams params,
    StsOptions sts, const Clock& clock)
    : base_(std::move(base)), params_(std::move(params)), sts_(std::move(sts), clock) {}

absl::StatusOr<Credentials> AssumeRoleCredentialsProvider::GetCredentials() {
  absl::StatusOr<Credentials> base = base_->GetCredentials();
  if (!base.ok()) {
    return absl::Status(base.status().code(),
                        absl::StrCat("assume role ", params_.role_arn,
                                     ": no base credentials: ", base.status().message()));
  }
  absl::StatusOr<Credentials> assumed = sts_.AssumeRole(*base, params_);
  if (!assumed.ok()) {
    return absl::Status(assumed.status().code(),
                        absl::StrCat("assume role ", params_.role_arn, ": ",
                                     assumed.status().message()));
  }
  return assumed;
}

}  // namespace streamgate::aws
