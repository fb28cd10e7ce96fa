// StsClient: the two AWS STS calls streamgate needs, over HTTPS form posts
// (Query API, Version 2011-06-15):
//  - AssumeRole, SigV4-signed (service "sts") with caller credentials;
//  - AssumeRoleWithWebIdentity, unsigned (the web identity token is the
//    proof).
// Answers are parsed with a small purpose-built XML extractor for the few
// elements used. STS errors become a Status carrying the STS error code and
// message, with any secret of the request scrubbed from it.
//
// Threading: thread-safe (no mutable state); calls block on the network.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "sinks/aws/clock.h"
#include "sinks/aws/http_client.h"
#include "sinks/aws/sigv4.h"

namespace streamgate::aws {

struct StsOptions {
  std::string region;    // signing region, and the default endpoint's
  std::string endpoint;  // empty: DefaultStsEndpoint(region)
  HttpOptions http;
};

struct AssumeRoleParams {
  std::string role_arn;
  std::string role_session_name;
  std::string external_id;  // empty: not sent
  absl::Duration duration = absl::Hours(1);
};

struct WebIdentityParams {
  std::string role_arn;
  std::string role_session_name;
  std::string web_identity_token;
  absl::optional<absl::Duration> duration;  // absent: STS default
};

// https://sts.{region}.amazonaws.com (".amazonaws.com.cn" in China regions).
std::string DefaultStsEndpoint(absl::string_view region);

// Text of the first <name>...</name> element in `xml`, entities decoded;
// absent when missing. Enough for STS answers; not a general XML parser.
absl::optional<std::string> XmlElementText(absl::string_view xml,
                                           absl::string_view name);

class StsClient {
 public:
  // `clock` (the signing time) must outlive the client.
  StsClient(StsOptions options, const Clock& clock);

  absl::StatusOr<Credentials> AssumeRole(const Credentials& caller,
                                         const AssumeRoleParams& params) const;
  absl::StatusOr<Credentials> AssumeRoleWithWebIdentity(
      const WebIdentityParams& params) const;

  const std::string& endpoint() const { return endpoint_; }

 private:
  // Posts `form` (signed with `caller` when given) and parses the answer.
  absl::StatusOr<Credentials> Call(absl::string_view action, const std::string& form,
                                   const Credentials* caller,
                                   const std::vector<std::string>& secrets) const;

  const StsOptions options_;
  const std::string endpoint_;
  const Clock& clock_;
  const HttpClient http_;
};

}  // namespace streamgate::aws
