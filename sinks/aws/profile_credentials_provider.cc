#include "sinks/aws/profile_credentials_provider.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace streamgate::aws {
namespace {

// Cuts a comment that starts a line or follows whitespace.
absl::string_view StripComment(absl::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if ((line[i] == '#' || line[i] == ';') &&
        (i == 0 || absl::ascii_isspace(static_cast<unsigned char>(line[i - 1])))) {
      return line.substr(0, i);
    }
  }
  return line;
}

struct LoadedFile {
  std::string path;
  bool exists = false;
  IniSections sections;
};

absl::StatusOr<LoadedFile> Load(const Environment& env, const std::string& path) {
  LoadedFile file;
  file.path = path;
  absl::StatusOr<std::string> text = env.ReadFile(path);
  if (absl::IsNotFound(text.status())) return file;
  if (!text.ok()) return text.status();
  file.exists = true;
  file.sections = ParseAwsIni(*text);
  return file;
}

const std::map<std::string, std::string>* FindSection(const LoadedFile& file,
                                                      const std::string& name) {
  auto it = file.sections.find(name);
  return it == file.sections.end() ? nullptr : &it->second;
}

std::string Value(const std::map<std::string, std::string>& section,
                  const std::string& key) {
  auto it = section.find(key);
  return it == section.end() ? std::string() : it->second;
}

}  // namespace

IniSections ParseAwsIni(absl::string_view text) {
  IniSections sections;
  std::map<std::string, std::string>* current = nullptr;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    absl::string_view line = absl::StripAsciiWhitespace(StripComment(raw));
    if (line.empty()) continue;
    if (line.front() == '[') {
      if (line.back() != ']') {
        current = nullptr;  // malformed header: ignore its keys
        continue;
      }
      // "[ profile  x ]" is accepted the way the AWS CLI accepts it.
      std::vector<absl::string_view> words = absl::StrSplit(
          line.substr(1, line.size() - 2), ' ', absl::SkipWhitespace());
      std::string name = absl::StrJoin(words, " ");
      current = &sections[name];
      continue;
    }
    if (current == nullptr) continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) continue;
    std::string key = absl::AsciiStrToLower(
        absl::StripAsciiWhitespace(line.substr(0, eq)));
    absl::string_view value = absl::StripAsciiWhitespace(line.substr(eq + 1));
    // Indented sub-keys ("s3 =\n  region = x") must not clobber top-level
    // keys of the same name.
    const bool indented = !raw.empty() && absl::ascii_isspace(static_cast<unsigned char>(raw[0]));
    if (indented && current->count(key) > 0) continue;
    (*current)[key] = std::string(value);
  }
  return sections;
}

absl::StatusOr<Credentials> ProfileCredentialsProvider::GetCredentials() {
  const std::string profile = GetNonEmptyEnv(env_, "AWS_PROFILE").value_or("default");
  const std::string credentials_path = ExpandHome(
      env_, GetNonEmptyEnv(env_, "AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials"));
  const std::string config_path = ExpandHome(
      env_, GetNonEmptyEnv(env_, "AWS_CONFIG_FILE").value_or("~/.aws/config"));

  absl::StatusOr<LoadedFile> credentials_file = Load(env_, credentials_path);
  if (!credentials_file.ok()) return credentials_file.status();
  absl::StatusOr<LoadedFile> config_file = Load(env_, config_path);
  if (!config_file.ok()) return config_file.status();
  if (!credentials_file->exists && !config_file->exists) {
    return absl::NotFoundError(absl::StrCat("neither ", credentials_path, " nor ",
                                            config_path, " exists"));
  }

  // The config file names non-default profiles "profile x"; "default" may
  // be written either way.
  const std::map<std::string, std::string>* from_credentials =
      FindSection(*credentials_file, profile);
  const std::map<std::string, std::string>* from_config =
      FindSection(*config_file, "profile " + profile);
  if (from_config == nullptr && profile == "default") {
    from_config = FindSection(*config_file, "default");
  }
  if (from_credentials == nullptr && from_config == nullptr) {
    return absl::NotFoundError(absl::StrCat("profile '", profile, "' not found in ",
                                            credentials_path, " or ", config_path));
  }

  for (const auto* section : {from_credentials, from_config}) {
    if (section == nullptr) continue;
    const std::string& path = section == from_credentials ? credentials_path : config_path;
    std::string id = Value(*section, "aws_access_key_id");
    std::string secret = Value(*section, "aws_secret_access_key");
    if (id.empty() && secret.empty()) continue;
    if (id.empty() || secret.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "profile '", profile, "' in ", path,
          " has only one of aws_access_key_id and aws_secret_access_key"));
    }
    Credentials credentials;
    credentials.access_key_id = std::move(id);
    credentials.secret_access_key = std::move(secret);
    credentials.session_token = Value(*section, "aws_session_token");
    return credentials;
  }
  for (const auto* section : {from_credentials, from_config}) {
    if (section == nullptr) continue;
    for (const char* key : {"role_arn", "credential_process", "sso_session", "sso_start_url"}) {
      if (section->count(key) > 0) {
        return absl::UnimplementedError(absl::StrCat(
            "profile '", profile, "' uses ", key,
            ", which streamgate does not support; give the module a role_arn instead"));
      }
    }
  }
  return absl::NotFoundError(absl::StrCat("profile '", profile,
                                          "' has no aws_access_key_id"));
}

}  // namespace streamgate::aws
