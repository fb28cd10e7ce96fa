// RequestSigner: turns a Kinesis JSON-protocol call (an action such as
// PutRecords and its JSON body) into a SigV4-signed HTTP request for one
// endpoint, using credentials from a CredentialsProvider.
//
// Threading: Sign is thread-safe if the provider is (the aws contract says
// it is); it may block while the provider refreshes credentials.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sinks/aws/credentials_provider.h"
#include "sinks/aws/sigv4.h"
#include "sinks/aws/url.h"

namespace streamgate::kinesis {

class RequestSigner {
 public:
  // `endpoint` as ParseEndpoint gives it.
  RequestSigner(aws::Url endpoint, std::string region,
                aws::CredentialsProvider& credentials);

  // POST <endpoint path> with Content-Type application/x-amz-json-1.1 and
  // X-Amz-Target Kinesis_20131202.<action>, signed for service "kinesis".
  absl::StatusOr<aws::HttpRequest> Sign(absl::string_view action, std::string body,
                                        absl::Time now) const;

  const aws::Url& endpoint() const { return endpoint_; }
  // scheme://host[:port] to hand to HttpClient::Send with the request.
  const std::string& origin() const { return origin_; }

 private:
  const aws::Url endpoint_;
  const std::string origin_;
  const std::string region_;
  aws::CredentialsProvider& credentials_;
};

}  // namespace streamgate::kinesis
