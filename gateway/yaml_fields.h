// Typed, validated reads of YAML config fields with errors that name the
// field and its line, e.g. "sink.max_records (line 14): must be <= 500".
// yaml-cpp throws; these catch at the edge and return absl::Status.
// Pure functions over immutable nodes; thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/optional.h"
#include "yaml-cpp/yaml.h"

namespace streamgate {

// "field (line N): message" — line from the node when it has one.
absl::Status FieldError(const YAML::Node& node, absl::string_view field,
                        absl::string_view message);

// Fails on any key of `map` not in `allowed` (typos must not be ignored).
// `prefix` is prepended to key names ("sink." → "sink.pth").
absl::Status CheckKnownKeys(const YAML::Node& map,
                            std::initializer_list<absl::string_view> allowed,
                            absl::string_view prefix);

// Fails unless `node` is a map (or absent when `optional`).
absl::Status RequireMap(const YAML::Node& node, absl::string_view field);

// Reads map[key]; absent → nullopt. Wrong type → error naming prefix+key.
absl::StatusOr<absl::optional<std::string>> ReadString(
    const YAML::Node& map, absl::string_view key, absl::string_view prefix);
absl::StatusOr<absl::optional<int64_t>> ReadInt(const YAML::Node& map,
                                                absl::string_view key,
                                                absl::string_view prefix,
                                                int64_t min, int64_t max);
absl::StatusOr<absl::optional<bool>> ReadBool(const YAML::Node& map,
                                              absl::string_view key,
                                              absl::string_view prefix);

}  // namespace streamgate
