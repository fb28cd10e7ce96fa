#include "gateway/api/config_reader.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace streamgate {
namespace {

std::string Join(absl::string_view path, absl::string_view key) {
  if (path.empty()) return std::string(key);
  if (key.empty()) return std::string(path);
  return absl::StrCat(path, ".", key);
}

// Keys that are not strings (a list as a key) get a readable stand-in.
bool KeyText(const YAML::Node& key, std::string& out) {
  if (!key.IsScalar()) return false;
  out = key.Scalar();
  return true;
}

absl::Status FindDuplicates(const YAML::Node& node, const std::string& path) {
  if (node.IsMap()) {
    std::vector<std::pair<std::string, int>> seen;
    for (const auto& kv : node) {
      std::string key;
      if (!KeyText(kv.first, key)) continue;
      const int line = kv.first.Mark().line + 1;
      for (const auto& s : seen) {
        if (s.first == key) {
          return absl::InvalidArgumentError(absl::StrCat(
              Join(path, key), ": duplicate key '", key, "' (lines ",
              s.second, " and ", line, ")"));
        }
      }
      seen.emplace_back(key, line);
      if (auto st = FindDuplicates(kv.second, Join(path, key)); !st.ok()) {
        return st;
      }
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      if (auto st = FindDuplicates(node[i], absl::StrCat(path, "[", i, "]"));
          !st.ok()) {
        return st;
      }
    }
  }
  return absl::OkStatus();
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

absl::Status CheckNoDuplicateKeys(const YAML::Node& root) {
  return FindDuplicates(root, "");
}

absl::optional<int64_t> ParseBytes(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  size_t digits = 0;
  while (digits < text.size() && absl::ascii_isdigit(text[digits])) ++digits;
  if (digits == 0) return absl::nullopt;
  int64_t value = 0;
  if (!absl::SimpleAtoi(text.substr(0, digits), &value)) return absl::nullopt;
  absl::string_view suffix = absl::StripAsciiWhitespace(text.substr(digits));
  int shift = 0;
  if (suffix.empty()) {
    shift = 0;
  } else if (suffix == "K" || suffix == "KiB") {
    shift = 10;
  } else if (suffix == "M" || suffix == "MiB") {
    shift = 20;
  } else if (suffix == "G" || suffix == "GiB") {
    shift = 30;
  } else {
    return absl::nullopt;
  }
  if (value > (INT64_MAX >> shift)) return absl::nullopt;
  return value << shift;
}

ConfigReader::ConfigReader(YAML::Node map, std::string path)
    : map_(std::move(map)), path_(std::move(path)) {}

absl::StatusOr<ConfigReader> ConfigReader::Open(const YAML::Node& node,
                                                std::string path,
                                                bool optional) {
  if (optional && (!node.IsDefined() || node.IsNull())) {
    return ConfigReader(YAML::Node(YAML::NodeType::Map), std::move(path));
  }
  if (!node.IsMap()) return FieldError(node, path, "must be a map");
  return ConfigReader(node, std::move(path));
}

absl::StatusOr<ConfigReader> ConfigReader::Section(absl::string_view key,
                                                   bool optional) const {
  return Open(Get(key), Field(key), optional);
}

std::string ConfigReader::Field(absl::string_view key) const {
  return Join(path_, key);
}

bool ConfigReader::Has(absl::string_view key) const {
  const YAML::Node node = Get(key);
  return node.IsDefined() && !node.IsNull();
}

YAML::Node ConfigReader::Get(absl::string_view key) const {
  // operator[] on a const node never inserts.
  const YAML::Node& map = map_;
  return map[std::string(key)];
}

absl::Status ConfigReader::Error(absl::string_view key,
                                 absl::string_view message) const {
  return FieldError(Get(key), Field(key), message);
}

absl::Status ConfigReader::SectionError(absl::string_view message) const {
  return FieldError(map_, path_, message);
}

absl::StatusOr<absl::optional<std::string>> ConfigReader::String(
    absl::string_view key) const {
  const YAML::Node node = Get(key);
  if (!node.IsDefined() || node.IsNull()) return absl::optional<std::string>();
  if (!node.IsScalar()) return Error(key, "must be a string");
  return absl::optional<std::string>(node.Scalar());
}

absl::StatusOr<absl::optional<std::string>> ConfigReader::NonEmptyString(
    absl::string_view key) const {
  auto s = String(key);
  if (s.ok() && s->has_value() && (*s)->empty()) {
    return Error(key, "must not be empty");
  }
  return s;
}

absl::StatusOr<absl::optional<int64_t>> ConfigReader::Int(
    absl::string_view key, int64_t min, int64_t max) const {
  const YAML::Node node = Get(key);
  if (!node.IsDefined() || node.IsNull()) return absl::optional<int64_t>();
  int64_t v = 0;
  if (!node.IsScalar() || !absl::SimpleAtoi(node.Scalar(), &v)) {
    return Error(key, "must be an integer");
  }
  if (v < min || v > max) {
    return Error(key, absl::StrCat("must be between ", min, " and ", max,
                                   ", got ", v));
  }
  return absl::optional<int64_t>(v);
}

absl::StatusOr<absl::optional<int64_t>> ConfigReader::Bytes(
    absl::string_view key, int64_t min, int64_t max) const {
  const YAML::Node node = Get(key);
  if (!node.IsDefined() || node.IsNull()) return absl::optional<int64_t>();
  absl::optional<int64_t> v;
  if (node.IsScalar()) v = ParseBytes(node.Scalar());
  if (!v) {
    return Error(key, "must be a size in bytes (an integer, or with a "
                      "KiB, MiB or GiB suffix)");
  }
  if (*v < min || *v > max) {
    return Error(key, absl::StrCat("must be between ", min, " and ", max,
                                   ", got ", *v));
  }
  return v;
}

absl::StatusOr<absl::optional<bool>> ConfigReader::Bool(
    absl::string_view key) const {
  const YAML::Node node = Get(key);
  if (!node.IsDefined() || node.IsNull()) return absl::optional<bool>();
  bool v = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, v)) {
    return Error(key, "must be true or false");
  }
  return absl::optional<bool>(v);
}

absl::Status ConfigReader::Read(absl::string_view key, std::string& out) const {
  auto v = String(key);
  if (!v.ok()) return v.status();
  if (*v) out = **v;
  return absl::OkStatus();
}

absl::Status ConfigReader::Read(absl::string_view key, int64_t& out,
                                int64_t min, int64_t max) const {
  auto v = Int(key, min, max);
  if (!v.ok()) return v.status();
  if (*v) out = **v;
  return absl::OkStatus();
}

absl::Status ConfigReader::Read(absl::string_view key, bool& out) const {
  auto v = Bool(key);
  if (!v.ok()) return v.status();
  if (*v) out = **v;
  return absl::OkStatus();
}

absl::Status ConfigReader::ReadBytes(absl::string_view key, int64_t& out,
                                     int64_t min, int64_t max) const {
  auto v = Bytes(key, min, max);
  if (!v.ok()) return v.status();
  if (*v) out = **v;
  return absl::OkStatus();
}

absl::Status ConfigReader::CheckKnownKeys(
    std::initializer_list<absl::string_view> allowed) const {
  for (const auto& kv : map_) {
    std::string key;
    if (!KeyText(kv.first, key)) {
      return FieldError(kv.first, path_, "keys must be strings");
    }
    bool known = false;
    for (absl::string_view a : allowed) known |= (a == key);
    if (!known) {
      return FieldError(kv.first, Field(key),
                        absl::StrCat("unknown field (expected one of: ",
                                     absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace streamgate
