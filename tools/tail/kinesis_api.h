// KinesisApi: one blocking Kinesis JSON call (action + JSON body) through
// the shared HttpClient and the sink's RequestSigner, for control-plane and
// read calls (CreateStream, ListShards, GetRecords...) made by
// streamgate-tail and tests. Tool code: not in the sink library.
//
// Threading: Call is thread-safe (HttpClient and RequestSigner are); it
// must not be called from an HttpClient callback.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sinks/aws/http_client.h"
#include "sinks/kinesis/request_signer.h"

namespace streamgate::kinesis {

class KinesisApi {
 public:
  KinesisApi(const aws::HttpClient& http, const RequestSigner& signer)
      : http_(http), signer_(signer) {}

  // The body of a 200 answer. Otherwise an error whose message starts with
  // the AWS error code (e.g. "ResourceNotFoundException: ..."), or the
  // HTTP status / transport error.
  absl::StatusOr<std::string> Call(absl::string_view action, std::string body);

 private:
  const aws::HttpClient& http_;
  const RequestSigner& signer_;
};

}  // namespace streamgate::kinesis
