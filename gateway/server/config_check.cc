#include "gateway/server/config_check.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gateway/api/config_reader.h"
#include "gateway/server/gateway_summary.h"
#include "gateway/server/server.h"

namespace streamgate {
namespace {

std::string Parent(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Empty when `path` (a file, or a folder when `folder`) exists and is
// writable, or could be created by mkdir -p of what is missing; else why
// not. Reads only.
std::string WhyNotCreatable(const std::string& path, bool folder) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if (folder && !S_ISDIR(st.st_mode)) {
      return absl::StrCat("'", path, "' exists and is not a folder");
    }
    if (!folder && S_ISDIR(st.st_mode)) {
      return absl::StrCat("'", path, "' is a folder");
    }
    if (access(path.c_str(), folder ? (W_OK | X_OK) : W_OK) != 0) {
      return absl::StrCat("'", path, "' is not writable (", strerror(errno),
                          ")");
    }
    return "";
  }
  if (errno != ENOENT) {
    return absl::StrCat("'", path, "': ", strerror(errno));
  }
  // The nearest ancestor that exists must be a folder we may write to.
  std::string dir = Parent(path);
  while (stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return absl::StrCat("'", dir, "': ", strerror(errno));
    const std::string up = Parent(dir);
    if (up == dir) break;
    dir = up;
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::StrCat("'", dir, "' is not a folder");
  }
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    return absl::StrCat("cannot create anything in '", dir, "' (",
                        strerror(errno), ")");
  }
  return "";
}

// The YAML node of module `id` in `modules:` (for its line), or the root.
YAML::Node ModuleNode(const GatewayConfig& c, const std::string& id) {
  const YAML::Node modules = c.root["modules"];
  if (modules.IsSequence()) {
    for (size_t i = 0; i < modules.size(); ++i) {
      const YAML::Node m = modules[i];
      if (m.IsMap() && m["id"].IsDefined() && m["id"].IsScalar() &&
          m["id"].Scalar() == id) {
        return m;
      }
    }
  }
  return c.root;
}

YAML::Node Child(const YAML::Node& map, const char* key,
                 const YAML::Node& or_else) {
  if (map.IsMap() && map[key].IsDefined()) return map[key];
  return or_else;
}

}  // namespace

std::vector<std::string> CheckCreatablePaths(const GatewayConfig& c) {
  std::vector<std::string> errors;
  auto check = [&](const YAML::Node& node, const std::string& field,
                   const std::string& path, bool folder) {
    if (path.empty()) return;
    const std::string why = WhyNotCreatable(path, folder);
    if (why.empty()) return;
    errors.push_back(absl::StrCat(
        "config ", c.source, ": ",
        FieldError(node, field, absl::StrCat("cannot be created: ", why))
            .message()));
  };
  for (const ModuleConfig& m : c.modules) {
    const YAML::Node node = ModuleNode(c, m.id);
    const std::string prefix = absl::StrCat("module '", m.id, "': ");
    if (m.sink_type == "file" && m.sink.IsMap() && m.sink["path"].IsDefined() &&
        m.sink["path"].IsScalar()) {
      check(m.sink["path"], prefix + "sink.path", m.sink["path"].Scalar(),
            /*folder=*/false);
    }
    if (m.spool) {
      const YAML::Node spool = Child(node, "spool", node);
      check(Child(spool, "dir", spool), prefix + "spool.dir", m.spool->dir,
            /*folder=*/true);
    }
  }
  if (c.dead_letter) {
    const YAML::Node dl = Child(c.root, "dead_letter", c.root);
    check(Child(dl, "path", dl), "dead_letter.path", c.dead_letter->path,
          /*folder=*/false);
  }
  return errors;
}

ConfigCheck CheckConfigFile(const std::string& path, const SinkRegistry& sinks,
                            const AdapterRegistry& adapters) {
  ConfigCheck result;
  auto text = ReadConfigFile(path);
  if (!text.ok()) {
    result.errors.push_back(std::string(text.status().message()));
    return result;
  }
  auto parsed = ParseConfigCollecting(*text, path, adapters.Sections());
  if (!parsed.ok()) {
    result.errors.push_back(std::string(parsed.status().message()));
    return result;
  }
  result.errors = parsed->errors;
  std::vector<std::string> paths = CheckCreatablePaths(parsed->config);
  auto server = Server::Create(parsed->config, sinks, adapters);
  if (!server.ok()) {
    for (absl::string_view line :
         absl::StrSplit(server.status().message(), '\n')) {
      result.errors.push_back(std::string(line));
    }
  }
  result.errors.insert(result.errors.end(), paths.begin(), paths.end());
  if (result.errors.empty()) {
    result.summary = (*server)->summary();
  }
  return result;
}

}  // namespace streamgate
