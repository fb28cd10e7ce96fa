// ConfigReader: the one way every component reads its YAML config section.
// Typed reads (strings, integers, booleans, durations, sizes) whose errors
// name the field by its dotted path and line, e.g.
//   "sink.max_records (line 14): must be between 1 and 500, got 900"
// plus unknown-key and duplicate-key checks. yaml-cpp throws; the reader
// catches at the edge and returns absl::Status.
//
// Booleans: YAML 1.1 words (true/false, yes/no, on/off, any case), the same
// for every field. Sizes: an integer number of bytes, or with a suffix
// KiB, MiB, GiB (also K, M, G: powers of 1024). Durations: an integer in
// the unit the key names (fields end in _ms or _s).
//
// Threading: a reader is a value over an immutable node; use from one
// thread. The free functions are pure.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "yaml-cpp/yaml.h"

namespace streamgate {

class ConfigReader {
 public:
  // `path` prefixes field names in errors: "sink" gives "sink.path";
  // empty for the document root.
  ConfigReader(YAML::Node map, std::string path);

  // Fails unless `node` is a map, naming `path`. An absent or null node
  // reads as an empty map when `optional`.
  static absl::StatusOr<ConfigReader> Open(const YAML::Node& node,
                                           std::string path,
                                           bool optional = false);

  // The sub-map `key` (absent or null: an empty map when `optional`).
  absl::StatusOr<ConfigReader> Section(absl::string_view key,
                                       bool optional = true) const;

  // Absent or null keys read as nullopt; a wrong type is an error.
  absl::StatusOr<absl::optional<std::string>> String(absl::string_view key) const;
  // Like String, but an empty value is an error.
  absl::StatusOr<absl::optional<std::string>> NonEmptyString(
      absl::string_view key) const;
  absl::StatusOr<absl::optional<int64_t>> Int(absl::string_view key,
                                              int64_t min, int64_t max) const;
  absl::StatusOr<absl::optional<bool>> Bool(absl::string_view key) const;
  absl::StatusOr<absl::optional<int64_t>> Bytes(absl::string_view key,
                                                int64_t min, int64_t max) const;

  // Reads into `out` only when the key is present (keeps the default).
  absl::Status Read(absl::string_view key, std::string& out) const;
  absl::Status Read(absl::string_view key, int64_t& out, int64_t min,
                    int64_t max) const;
  absl::Status Read(absl::string_view key, bool& out) const;
  absl::Status ReadBytes(absl::string_view key, int64_t& out, int64_t min,
                         int64_t max) const;

  // Fails on any key not in `allowed` (typos must not be ignored).
  absl::Status CheckKnownKeys(
      std::initializer_list<absl::string_view> allowed) const;

  // "path.key (line N): message", for checks the typed reads cannot make.
  absl::Status Error(absl::string_view key, absl::string_view message) const;
  // The same, for the section itself.
  absl::Status SectionError(absl::string_view message) const;

  bool Has(absl::string_view key) const;
  YAML::Node Get(absl::string_view key) const;
  const YAML::Node& node() const { return map_; }
  const std::string& path() const { return path_; }
  // "path.key" (just "key" at the root).
  std::string Field(absl::string_view key) const;

 private:
  YAML::Node map_;
  std::string path_;
};

// "field (line N): message" — line from the node when it has one.
absl::Status FieldError(const YAML::Node& node, absl::string_view field,
                        absl::string_view message);

// Fails on the first map (at any depth) that repeats a key, naming the key,
// its path and both lines: yaml-cpp keeps both and lookups see the first,
// so `api_keys: []` followed by a real `api_keys:` block would silently win.
absl::Status CheckNoDuplicateKeys(const YAML::Node& root);

// Parses a size: digits, optionally followed by K/KiB/M/MiB/G/GiB.
absl::optional<int64_t> ParseBytes(absl::string_view text);

}  // namespace streamgate
