#include "sinks/aws/sts_client.h"

#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "sinks/aws/json_credentials.h"
#include "sinks/aws/url.h"

namespace streamgate::aws {
namespace {

constexpr size_t kMaxErrorMessage = 300;

std::string DecodeXmlEntities(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    const size_t end = text.find(';', i);
    if (end == absl::string_view::npos) {
      out.append(text.data() + i, text.size() - i);
      break;
    }
    absl::string_view entity = text.substr(i + 1, end - i - 1);
    uint32_t code = 0;
    if (entity == "amp") out.push_back('&');
    else if (entity == "lt") out.push_back('<');
    else if (entity == "gt") out.push_back('>');
    else if (entity == "quot") out.push_back('"');
    else if (entity == "apos") out.push_back('\'');
    else if (absl::StartsWith(entity, "#x") &&
             absl::SimpleHexAtoi(entity.substr(2), &code) && code < 128) {
      out.push_back(static_cast<char>(code));
    } else if (absl::StartsWith(entity, "#") &&
               absl::SimpleAtoi(entity.substr(1), &code) && code < 128) {
      out.push_back(static_cast<char>(code));
    } else {
      out.append(text.data() + i, end - i + 1);  // keep what we do not know
    }
    i = end;
  }
  return out;
}

// The STS error code as a canonical status code.
absl::StatusCode CodeFor(absl::string_view sts_code, long http_status) {
  static const std::pair<const char*, absl::StatusCode> kCodes[] = {
      {"AccessDenied", absl::StatusCode::kPermissionDenied},
      {"AccessDeniedException", absl::StatusCode::kPermissionDenied},
      {"ExpiredToken", absl::StatusCode::kUnauthenticated},
      {"ExpiredTokenException", absl::StatusCode::kUnauthenticated},
      {"InvalidClientTokenId", absl::StatusCode::kUnauthenticated},
      {"SignatureDoesNotMatch", absl::StatusCode::kUnauthenticated},
      {"IncompleteSignature", absl::StatusCode::kUnauthenticated},
      {"MissingAuthenticationToken", absl::StatusCode::kUnauthenticated},
      {"InvalidIdentityToken", absl::StatusCode::kUnauthenticated},
      {"IDPRejectedClaim", absl::StatusCode::kUnauthenticated},
      {"RegionDisabledException", absl::StatusCode::kFailedPrecondition},
      {"Throttling", absl::StatusCode::kUnavailable},
      {"ThrottlingException", absl::StatusCode::kUnavailable},
      {"RequestLimitExceeded", absl::StatusCode::kUnavailable},
      {"IDPCommunicationError", absl::StatusCode::kUnavailable},
      {"ServiceUnavailable", absl::StatusCode::kUnavailable},
      {"InternalFailure", absl::StatusCode::kUnavailable},
      {"MalformedPolicyDocument", absl::StatusCode::kInvalidArgument},
      {"PackedPolicyTooLarge", absl::StatusCode::kInvalidArgument},
      {"ValidationError", absl::StatusCode::kInvalidArgument},
      {"InvalidParameterValue", absl::StatusCode::kInvalidArgument},
  };
  for (const auto& [name, code] : kCodes) {
    if (sts_code == name) return code;
  }
  if (http_status >= 500 || http_status == 429) return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kUnknown;
}

// Removes every secret of the request from text that came back from the
// server, in case an endpoint echoes its input.
std::string Scrub(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.size() >= 4) text = absl::StrReplaceAll(text, {{secret, "<redacted>"}});
  }
  if (text.size() > kMaxErrorMessage) text = text.substr(0, kMaxErrorMessage) + "...";
  return text;
}

}  // namespace

std::string DefaultStsEndpoint(absl::string_view region) {
  const char* suffix = absl::StartsWith(region, "cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
  return absl::StrCat("https://sts.", region, suffix);
}

namespace {

// Raw (undecoded) content of the first <name>...</name> element.
absl::optional<absl::string_view> RawElement(absl::string_view xml,
                                             absl::string_view name) {
  const std::string open = absl::StrCat("<", name, ">");
  const std::string close = absl::StrCat("</", name, ">");
  const size_t start = xml.find(open);
  if (start == absl::string_view::npos) return absl::nullopt;
  const size_t begin = start + open.size();
  const size_t end = xml.find(close, begin);
  if (end == absl::string_view::npos) return absl::nullopt;
  return xml.substr(begin, end - begin);
}

}  // namespace

absl::optional<std::string> XmlElementText(absl::string_view xml,
                                           absl::string_view name) {
  absl::optional<absl::string_view> raw = RawElement(xml, name);
  if (!raw.has_value()) return absl::nullopt;
  return DecodeXmlEntities(*raw);
}

StsClient::StsClient(StsOptions options, const Clock& clock)
    : options_(std::move(options)),
      endpoint_(options_.endpoint.empty() ? DefaultStsEndpoint(options_.region)
                                          : options_.endpoint),
      clock_(clock),
      http_(options_.http) {}

absl::StatusOr<Credentials> StsClient::AssumeRole(
    const Credentials& caller, const AssumeRoleParams& params) const {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"Action", "AssumeRole"},
      {"Version", "2011-06-15"},
      {"RoleArn", params.role_arn},
      {"RoleSessionName", params.role_session_name},
  };
  if (!params.external_id.empty()) fields.emplace_back("ExternalId", params.external_id);
  fields.emplace_back("DurationSeconds",
                      absl::StrCat(absl::ToInt64Seconds(params.duration)));
  return Call("AssumeRole", FormEncode(fields), &caller,
              {caller.secret_access_key, caller.session_token});
}

absl::StatusOr<Credentials> StsClient::AssumeRoleWithWebIdentity(
    const WebIdentityParams& params) const {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"Action", "AssumeRoleWithWebIdentity"},
      {"Version", "2011-06-15"},
      {"RoleArn", params.role_arn},
      {"RoleSessionName", params.role_session_name},
      {"WebIdentityToken", params.web_identity_token},
  };
  if (params.duration.has_value()) {
    fields.emplace_back("DurationSeconds",
                        absl::StrCat(absl::ToInt64Seconds(*params.duration)));
  }
  return Call("AssumeRoleWithWebIdentity", FormEncode(fields), nullptr,
              {params.web_identity_token});
}

absl::StatusOr<Credentials> StsClient::Call(
    absl::string_view action, const std::string& form, const Credentials* caller,
    const std::vector<std::string>& secrets) const {
  absl::StatusOr<Url> url = ParseUrl(endpoint_);
  if (!url.ok()) return url.status();
  HttpRequest request;
  request.method = "POST";
  request.path = url->path;
  request.query = url->query;
  request.headers = {
      {"Host", url->authority},
      {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
  };
  request.body = form;
  if (caller != nullptr) {
    SigningParams signing;
    signing.region = options_.region;
    signing.service = "sts";
    signing.time = clock_.Now();
    absl::StatusOr<SignedParts> signed_parts = SignRequest(*caller, request, signing);
    if (!signed_parts.ok()) {
      return absl::Status(signed_parts.status().code(),
                          absl::StrCat("STS ", action, ": signing failed: ",
                                       signed_parts.status().message()));
    }
    for (auto& header : signed_parts->headers_to_add) {
      request.headers.push_back(std::move(header));
    }
  }
  absl::StatusOr<HttpResponse> response =
      http_.Fetch(request.method, endpoint_, request.headers, request.body);
  if (!response.ok()) {
    return absl::Status(response.status().code(),
                        absl::StrCat("STS ", action, ": ", response.status().message()));
  }
  if (response->status != 200) {
    const std::string code = XmlElementText(response->body, "Code").value_or("");
    const std::string message = XmlElementText(response->body, "Message").value_or("");
    std::string text = absl::StrCat("STS ", action, " failed: HTTP ", response->status);
    if (!code.empty()) absl::StrAppend(&text, " ", code);
    if (!message.empty()) absl::StrAppend(&text, ": ", message);
    return absl::Status(CodeFor(code, response->status), Scrub(std::move(text), secrets));
  }
  const absl::optional<absl::string_view> block = RawElement(response->body, "Credentials");
  if (!block.has_value()) {
    return absl::InternalError(absl::StrCat("STS ", action, ": answer has no Credentials"));
  }
  Credentials credentials;
  credentials.access_key_id = XmlElementText(*block, "AccessKeyId").value_or("");
  credentials.secret_access_key = XmlElementText(*block, "SecretAccessKey").value_or("");
  credentials.session_token = XmlElementText(*block, "SessionToken").value_or("");
  const absl::optional<std::string> expiration = XmlElementText(*block, "Expiration");
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty() ||
      credentials.session_token.empty() || !expiration.has_value()) {
    return absl::InternalError(absl::StrCat(
        "STS ", action, ": answer lacks AccessKeyId, SecretAccessKey, SessionToken or Expiration"));
  }
  absl::StatusOr<absl::Time> time = ParseAwsTime(*expiration);
  if (!time.ok()) {
    return absl::InternalError(absl::StrCat("STS ", action, ": ", time.status().message()));
  }
  credentials.expiration = *time;
  return credentials;
}

}  // namespace streamgate::aws
