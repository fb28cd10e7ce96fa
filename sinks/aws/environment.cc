#include "sinks/aws/environment.h"

#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace streamgate::aws {
namespace {

constexpr size_t kMaxFileBytes = 1 << 20;

}  // namespace

absl::optional<std::string> RealEnvironment::GetEnv(
    const std::string& name) const {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return absl::nullopt;
  return std::string(value);
}

absl::optional<std::string> RealEnvironment::HomeDir() const {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != 0) {
    return std::string(home);
  }
  // getpwuid_r: getpwuid's static buffer is not thread-safe.
  struct passwd pw;
  struct passwd* result = nullptr;
  char buf[4096];
  if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &result) == 0 &&
      result != nullptr && result->pw_dir != nullptr) {
    return std::string(result->pw_dir);
  }
  return absl::nullopt;
}

absl::StatusOr<std::string> RealEnvironment::ReadFile(
    const std::string& path) const {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"),
                                             &std::fclose);
  if (file == nullptr) {
    const int err = errno;
    std::string message = absl::StrCat(path, ": ", std::strerror(err));
    if (err == ENOENT) return absl::NotFoundError(message);
    return absl::FailedPreconditionError(message);
  }
  std::string contents;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), file.get())) > 0) {
    contents.append(buf, n);
    if (contents.size() > kMaxFileBytes) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": larger than 1 MiB"));
    }
  }
  if (std::ferror(file.get())) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": read error"));
  }
  return contents;
}

Environment& DefaultEnvironment() {
  static RealEnvironment* env = new RealEnvironment();
  return *env;
}

absl::optional<std::string> GetNonEmptyEnv(const Environment& env,
                                           const std::string& name) {
  absl::optional<std::string> value = env.GetEnv(name);
  if (value.has_value() && value->empty()) return absl::nullopt;
  return value;
}

std::string ExpandHome(const Environment& env, const std::string& path) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    if (absl::optional<std::string> home = env.HomeDir(); home.has_value()) {
      return *home + path.substr(1);
    }
  }
  return path;
}

}  // namespace streamgate::aws
