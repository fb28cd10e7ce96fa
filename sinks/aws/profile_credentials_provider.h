// ProfileCredentialsProvider: static keys from the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials, sections
// "[name]") and the config file (AWS_CONFIG_FILE, default ~/.aws/config,
// sections "[profile name]" or "[default]") for profile AWS_PROFILE
// (default "default"). The credentials file wins when both define the
// profile's keys. Profiles that only name role_arn/source_profile,
// credential_process or SSO are refused with Unimplemented: streamgate
// assumes roles through the module's role_arn instead.
//
// Files are read on every call; wrap in a CachingCredentialsProvider with a
// static_max_age to re-read them only now and then.
// Threading: thread-safe if the Environment is.
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sinks/aws/credentials_provider.h"
#include "sinks/aws/environment.h"

namespace streamgate::aws {

// section name -> (lower-case key -> value), as written in an AWS INI file.
using IniSections = std::map<std::string, std::map<std::string, std::string>>;

// Parses the AWS flavour of INI: '#'/';' comments (also after a space),
// "key = value", indented sub-keys folded into the section.
IniSections ParseAwsIni(absl::string_view text);

class ProfileCredentialsProvider : public CredentialsProvider {
 public:
  // `env` must outlive this provider.
  explicit ProfileCredentialsProvider(const Environment& env) : env_(env) {}

  absl::StatusOr<Credentials> GetCredentials() override;

 private:
  const Environment& env_;
};

}  // namespace streamgate::aws
