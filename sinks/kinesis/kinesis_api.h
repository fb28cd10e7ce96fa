// KinesisApi: one blocking Kinesis JSON call (action + JSON body) through
// the sink's HttpClient and RequestSigner, for control-plane and read calls
// (CreateStream, ListShards, GetRecords...) made by streamgate-tail and
// tests. Not used on the PutRecords data path.
//
// Threading: Call is thread-safe (HttpClient and RequestSigner are); it
// must not be called from an HttpClient callback.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sinks/kinesis/http_client.h"
#include "sinks/kinesis/request_signer.h"

namespace streamgate::kinesis {

class KinesisApi {
 public:
  KinesisApi(HttpClient& http, const RequestSigner& signer)
      : http_(http), signer_(signer) {}

  // The body of a 200 answer. Otherwise an error whose message starts with
  // the AWS error code (e.g. "ResourceNotFoundException: ..."), or the
  // HTTP status / transport error.
  absl::StatusOr<std::string> Call(absl::string_view action, std::string body);

 private:
  HttpClient& http_;
  const RequestSigner& signer_;
};

}  // namespace streamgate::kinesis
