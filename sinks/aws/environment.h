// Environment: the process environment as the credential providers see it
// (environment variables, home directory, small file reads), behind an
// interface so tests can supply their own without touching the real process.
//
// Threading: implementations must be safe to call from several threads; the
// real one is (getenv is only read, never written, by this program).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace streamgate::aws {

class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value; absent when unset. An empty value counts as set.
  virtual absl::optional<std::string> GetEnv(const std::string& name) const = 0;
  // The user's home directory ($HOME, else the passwd entry); absent if none.
  virtual absl::optional<std::string> HomeDir() const = 0;
  // Whole contents of a small file (credentials, tokens): at most 1 MiB.
  // NotFound when the file does not exist.
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) const = 0;
};

// Reads the real process environment and file system.
class RealEnvironment : public Environment {
 public:
  absl::optional<std::string> GetEnv(const std::string& name) const override;
  absl::optional<std::string> HomeDir() const override;
  absl::StatusOr<std::string> ReadFile(const std::string& path) const override;
};

// The process-wide real environment (never destroyed).
Environment& DefaultEnvironment();

// GetEnv, treating an empty value as unset (the AWS SDKs do the same).
absl::optional<std::string> GetNonEmptyEnv(const Environment& env,
                                           const std::string& name);

// Expands a leading "~/" with env.HomeDir().
std::string ExpandHome(const Environment& env, const std::string& path);

}  // namespace streamgate::aws
