#include "sinks/aws/json_credentials.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "rapidjson/document.h"

namespace streamgate::aws {
namespace {

// The string member `name`, or absent when missing or not a string.
const rapidjson::Value* StringMember(const rapidjson::Value& object,
                                     const char* name) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return nullptr;
  return &it->value;
}

}  // namespace

absl::StatusOr<absl::Time> ParseAwsTime(absl::string_view text) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad timestamp '", text, "': ", error));
  }
  return time;
}

absl::StatusOr<Credentials> ParseJsonCredentials(absl::string_view json,
                                                 absl::string_view source) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return absl::InternalError(
        absl::StrCat(source, ": credentials response is not a JSON object"));
  }
  if (const rapidjson::Value* code = StringMember(doc, "Code");
      code != nullptr && std::string(code->GetString()) != "Success") {
    return absl::UnavailableError(
        absl::StrCat(source, ": credentials not available (Code ",
                     code->GetString(), ")"));
  }
  const rapidjson::Value* id = StringMember(doc, "AccessKeyId");
  const rapidjson::Value* secret = StringMember(doc, "SecretAccessKey");
  if (id == nullptr || secret == nullptr || id->GetStringLength() == 0 ||
      secret->GetStringLength() == 0) {
    return absl::InternalError(absl::StrCat(
        source, ": credentials response lacks AccessKeyId or SecretAccessKey"));
  }
  Credentials credentials;
  credentials.access_key_id.assign(id->GetString(), id->GetStringLength());
  credentials.secret_access_key.assign(secret->GetString(),
                                       secret->GetStringLength());
  if (const rapidjson::Value* token = StringMember(doc, "Token")) {
    credentials.session_token.assign(token->GetString(), token->GetStringLength());
  }
  if (const rapidjson::Value* expiration = StringMember(doc, "Expiration")) {
    absl::StatusOr<absl::Time> time = ParseAwsTime(expiration->GetString());
    if (!time.ok()) {
      return absl::InternalError(
          absl::StrCat(source, ": ", time.status().message()));
    }
    credentials.expiration = *time;
  }
  return credentials;
}

}  // namespace streamgate::aws
