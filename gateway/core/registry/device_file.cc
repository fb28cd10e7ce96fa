#include "gateway/core/registry/device_file.h"

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/log_text.h"
#include "gateway/common/status_macros.h"
#include "gateway/core/registry/line_reader.h"
#include "simdjson.h"

namespace streamgate {
namespace {

// A bad value, quoted and escaped (the file is untrusted), kept short.
std::string Quote(absl::string_view value) {
  return absl::StrCat("'", EscapeForLog(value, 40), "'");
}

absl::Status Bad(absl::string_view message) {
  return absl::InvalidArgumentError(message);
}

// A positive decimal integer: digits only (no sign, blanks or exponent),
// 1 .. INT64_MAX.
absl::Status ParseId(absl::string_view field, absl::string_view text,
                     int64_t &out) {
  // The message is built only on failure: this runs twice a line.
  auto bad = [&] {
    return Bad(
        absl::StrCat(field, ": must be a positive integer, got ", Quote(text)));
  };
  if (text.empty() || text.size() > 19) return bad();
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return bad();
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v == 0 || v > static_cast<uint64_t>(INT64_MAX)) return bad();
  out = static_cast<int64_t>(v);
  return absl::OkStatus();
}

absl::Status CheckClass(absl::string_view cls) {
  if (cls.size() > kMaxClassBytes) {
    return Bad(absl::StrCat("class: longer than ", kMaxClassBytes, " bytes"));
  }
  if (!simdjson::validate_utf8(cls.data(), cls.size())) {
    return Bad("class: not valid UTF-8");
  }
  for (char c : cls) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return Bad("class: control characters are not allowed");
    }
  }
  return absl::OkStatus();
}

// Splits one CSV record (RFC 4180, no line breaks inside quotes) into
// `fields`, unquoted.
absl::Status SplitCsv(absl::string_view line,
                      std::vector<std::string> &fields) {
  fields.clear();
  size_t i = 0;
  while (true) {
    std::string field;
    if (i < line.size() && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= line.size()) {
          return Bad(
              absl::StrCat("field ", fields.size() + 1, ": quote not closed"));
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(line[i++]);
      }
      if (i < line.size() && line[i] != ',') {
        return Bad(absl::StrCat("field ", fields.size() + 1,
                                ": text after the closing quote"));
      }
    } else {
      const size_t comma = line.find(',', i);
      const size_t stop =
          comma == absl::string_view::npos ? line.size() : comma;
      field.assign(line.data() + i, stop - i);
      if (field.find('"') != std::string::npos) {
        return Bad(absl::StrCat("field ", fields.size() + 1,
                                ": a quote inside an unquoted field"));
      }
      i = stop;
    }
    fields.push_back(std::move(field));
    if (i >= line.size()) return absl::OkStatus();
    ++i;  // the comma
  }
}

bool Blank(absl::string_view line) {
  return absl::StripAsciiWhitespace(line).empty();
}

absl::Status CsvRow(absl::string_view line, std::vector<std::string> &fields,
                    uint32_t number, DeviceTableBuilder &builder) {
  RETURN_IF_ERROR(SplitCsv(line, fields));
  if (fields.size() != 3) {
    return Bad(absl::StrCat("expected 3 fields (id,home_id,class), found ",
                            fields.size()));
  }
  int64_t id = 0;
  int64_t home = 0;
  RETURN_IF_ERROR(ParseId("id", fields[0], id));
  RETURN_IF_ERROR(ParseId("home_id", fields[1], home));
  RETURN_IF_ERROR(CheckClass(fields[2]));
  return builder.Add(id, home, fields[2], number);
}

absl::Status JsonRow(simdjson::dom::parser &parser, absl::string_view line,
                     uint32_t number, DeviceTableBuilder &builder) {
  simdjson::dom::element root;
  if (auto err = parser.parse(line.data(), line.size()).get(root)) {
    return Bad(
        absl::StrCat("not valid JSON (", simdjson::error_message(err), ")"));
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) {
    return Bad("must be a JSON object {\"id\":..,\"home_id\":..,\"class\":..}");
  }
  int64_t values[2] = {0, 0};
  bool seen[3] = {false, false, false};
  std::string_view cls_std;
  for (auto field : object) {
    const absl::string_view key(field.key.data(), field.key.size());
    int slot = key == "id" ? 0 : key == "home_id" ? 1 : key == "class" ? 2 : -1;
    if (slot < 0) {
      return Bad(absl::StrCat("unknown field ", Quote(key),
                              " (expected id, home_id, class)"));
    }
    if (seen[slot]) return Bad(absl::StrCat(key, ": given twice"));
    seen[slot] = true;
    if (slot == 2) {
      if (field.value.get(cls_std) != simdjson::SUCCESS) {
        return Bad("class: must be a string");
      }
      continue;
    }
    int64_t v = 0;
    if (field.value.get(v) != simdjson::SUCCESS || v <= 0) {
      return Bad(absl::StrCat(key, ": must be a positive integer, got ",
                              Quote(simdjson::minify(field.value))));
    }
    values[slot] = v;
  }
  if (!seen[0]) return Bad("id: required");
  if (!seen[1]) return Bad("home_id: required");
  const absl::string_view cls(cls_std.data(), cls_std.size());
  RETURN_IF_ERROR(CheckClass(cls));
  return builder.Add(values[0], values[1], cls, number);
}

}  // namespace

absl::StatusOr<DeviceFileFormat> DeviceFileFormatOf(absl::string_view path) {
  const std::string lower = absl::AsciiStrToLower(path);
  if (absl::EndsWith(lower, ".csv")) return DeviceFileFormat::kCsv;
  if (absl::EndsWith(lower, ".jsonl") || absl::EndsWith(lower, ".ndjson")) {
    return DeviceFileFormat::kJsonLines;
  }
  return Bad("the file name must end in .csv, .jsonl or .ndjson");
}

absl::Status ReadDevices(std::istream &in, DeviceFileFormat format,
                         absl::string_view name, DeviceTableBuilder &builder) {
  builder.SetOrigin(absl::StrCat(name, " line "), "");
  LineReader reader(in, kMaxLineBytes);
  simdjson::dom::parser parser;
  std::vector<std::string> fields;
  bool header = format == DeviceFileFormat::kCsv;
  absl::string_view line;
  while (true) {
    auto more = reader.Next(line);
    if (!more.ok()) {
      return Bad(absl::StrCat(name, " ", more.status().message()));
    }
    if (!*more) break;
    if (Blank(line)) continue;
    absl::Status st;
    if (header) {
      header = false;
      st = SplitCsv(line, fields);
      if (st.ok() && (fields.size() != 3 || fields[0] != "id" ||
                      fields[1] != "home_id" || fields[2] != "class")) {
        st = Bad(absl::StrCat("the header must be id,home_id,class, got ",
                              Quote(line)));
      }
    } else if (format == DeviceFileFormat::kCsv) {
      st = CsvRow(line, fields, reader.line_number(), builder);
    } else {
      st = JsonRow(parser, line, reader.line_number(), builder);
    }
    if (!st.ok()) {
      return Bad(absl::StrCat(name, " line ", reader.line_number(), ": ",
                              st.message()));
    }
  }
  if (header) return Bad(absl::StrCat(name, ": no header (id,home_id,class)"));
  return absl::OkStatus();
}

absl::Status LoadDeviceFile(const std::string &path,
                            DeviceTableBuilder &builder) {
  auto format = DeviceFileFormatOf(path);
  if (!format.ok()) {
    return Bad(absl::StrCat(path, ": ", format.status().message()));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat(path, ": cannot be read (", std::strerror(errno), ")"));
  }
  return ReadDevices(in, *format, path, builder);
}

}  // namespace streamgate
