#include "tools/tail/kinesis_api.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "sinks/kinesis/codec.h"

namespace streamgate::kinesis {

absl::StatusOr<std::string> KinesisApi::Call(absl::string_view action,
                                             std::string body) {
  absl::StatusOr<aws::HttpRequest> request =
      signer_.Sign(action, std::move(body), absl::Now());
  if (!request.ok()) return request.status();
  aws::HttpResponse response = http_.SendSync(signer_.origin(), *std::move(request));
  if (response.error != aws::TransportError::kNone) {
    return absl::UnavailableError(absl::StrCat(action, ": ",
                                               aws::TransportErrorName(response.error),
                                               ": ", response.error_message));
  }
  if (response.status == 200) return std::move(response.body);
  ErrorBody err = ParseErrorBody(response.body);
  std::string code = err.type.empty() ? absl::StrCat("HTTP ", response.status) : err.type;
  absl::StatusCode status_code = absl::StatusCode::kUnknown;
  if (code == "ResourceNotFoundException") status_code = absl::StatusCode::kNotFound;
  if (code == "ResourceInUseException") status_code = absl::StatusCode::kAlreadyExists;
  if (code == "AccessDeniedException") status_code = absl::StatusCode::kPermissionDenied;
  if (response.status >= 500 || code == "ProvisionedThroughputExceededException" ||
      code == "LimitExceededException" || code == "ThrottlingException") {
    status_code = absl::StatusCode::kUnavailable;
  }
  return absl::Status(status_code, absl::StrCat(code, ": ", err.message, " (", action,
                                                ", HTTP ", response.status, ")"));
}

}  // namespace streamgate::kinesis
