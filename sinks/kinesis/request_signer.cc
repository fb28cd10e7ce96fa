#include "sinks/kinesis/request_signer.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace streamgate::kinesis {

RequestSigner::RequestSigner(aws::Url endpoint, std::string region,
                             aws::CredentialsProvider& credentials)
    : endpoint_(std::move(endpoint)),
      origin_(endpoint_.origin()),
      region_(std::move(region)),
      credentials_(credentials) {}

absl::StatusOr<aws::HttpRequest> RequestSigner::Sign(absl::string_view action,
                                                     std::string body,
                                                     absl::Time now) const {
  absl::StatusOr<aws::Credentials> creds = credentials_.GetCredentials();
  if (!creds.ok()) return creds.status();
  aws::HttpRequest req;
  req.method = "POST";
  req.path = endpoint_.path;
  req.headers = {
      {"Host", endpoint_.authority},
      {"Content-Type", "application/x-amz-json-1.1"},
      {"X-Amz-Target", absl::StrCat("Kinesis_20131202.", action)},
  };
  req.body = std::move(body);
  aws::SigningParams params;
  params.region = region_;
  params.service = "kinesis";
  params.time = now;
  absl::StatusOr<aws::SignedParts> signed_parts = aws::SignRequest(*creds, req, params);
  if (!signed_parts.ok()) return signed_parts.status();
  for (auto& h : signed_parts->headers_to_add) req.headers.push_back(std::move(h));
  return req;
}

}  // namespace streamgate::kinesis
