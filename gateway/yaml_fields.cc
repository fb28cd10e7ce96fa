#include "gateway/yaml_fields.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace streamgate {
namespace {

std::string Field(absl::string_view prefix, absl::string_view key) {
  return absl::StrCat(prefix, key);
}

}  // namespace

absl::Status FieldError(const YAML::Node& node, absl::string_view field,
                        absl::string_view message) {
  if (node.IsDefined() && node.Mark().line >= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " (line ", node.Mark().line + 1, "): ", message));
  }
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

absl::Status RequireMap(const YAML::Node& node, absl::string_view field) {
  if (!node.IsMap()) return FieldError(node, field, "must be a map");
  return absl::OkStatus();
}

absl::Status CheckKnownKeys(const YAML::Node& map,
                            std::initializer_list<absl::string_view> allowed,
                            absl::string_view prefix) {
  for (const auto& kv : map) {
    std::string key;
    try {
      key = kv.first.as<std::string>();
    } catch (const YAML::Exception&) {
      return FieldError(kv.first, prefix, "keys must be strings");
    }
    bool known = false;
    for (absl::string_view a : allowed) known |= (a == key);
    if (!known) {
      return FieldError(kv.first, Field(prefix, key),
                        absl::StrCat("unknown field (expected one of: ",
                                     absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::optional<std::string>> ReadString(
    const YAML::Node& map, absl::string_view key, absl::string_view prefix) {
  const YAML::Node node = map[std::string(key)];
  if (!node.IsDefined() || node.IsNull()) return absl::optional<std::string>();
  if (!node.IsScalar()) {
    return FieldError(node, Field(prefix, key), "must be a string");
  }
  return absl::optional<std::string>(node.Scalar());
}

absl::StatusOr<absl::optional<int64_t>> ReadInt(const YAML::Node& map,
                                                absl::string_view key,
                                                absl::string_view prefix,
                                                int64_t min, int64_t max) {
  const YAML::Node node = map[std::string(key)];
  if (!node.IsDefined() || node.IsNull()) return absl::optional<int64_t>();
  int64_t v = 0;
  if (!node.IsScalar() || !absl::SimpleAtoi(node.Scalar(), &v)) {
    return FieldError(node, Field(prefix, key), "must be an integer");
  }
  if (v < min || v > max) {
    return FieldError(node, Field(prefix, key),
                      absl::StrCat("must be between ", min, " and ", max,
                                   ", got ", v));
  }
  return absl::optional<int64_t>(v);
}

absl::StatusOr<absl::optional<bool>> ReadBool(const YAML::Node& map,
                                              absl::string_view key,
                                              absl::string_view prefix) {
  const YAML::Node node = map[std::string(key)];
  if (!node.IsDefined() || node.IsNull()) return absl::optional<bool>();
  bool v = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, v)) {
    return FieldError(node, Field(prefix, key), "must be true or false");
  }
  return absl::optional<bool>(v);
}

}  // namespace streamgate
