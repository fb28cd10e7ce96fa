// The devices file (`devices_file:`): a registry of up to millions of
// devices, read into a DeviceTableBuilder. Two formats, chosen by the file
// name's extension:
//   .csv             header `id,home_id,class`, then one device a line;
//                    RFC 4180 quoting ("a,b", "say ""hi""") in any field
//   .jsonl, .ndjson  one object a line: {"id":1,"home_id":7,"class":"x"}
// `id` and `home_id` are positive integers; `class` is optional (empty:
// none), valid UTF-8 of at most kMaxClassBytes. Blank lines, a UTF-8 BOM
// and CRLF line ends are accepted. Any bad line refuses the whole file,
// naming the file and line. Lines are bounded (kMaxLineBytes).
//
// Threading: plain functions; the builder is the caller's.
#pragma once

#include <cstddef>
#include <istream>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gateway/core/registry/device_table.h"

namespace streamgate {

enum class DeviceFileFormat { kCsv, kJsonLines };

inline constexpr size_t kMaxLineBytes = 4096;
inline constexpr size_t kMaxClassBytes = 256;

// The format for `path` by extension; fails naming the accepted ones.
absl::StatusOr<DeviceFileFormat> DeviceFileFormatOf(absl::string_view path);

// Reads every device of `in`; errors read "NAME line N: FIELD: reason".
absl::Status ReadDevices(std::istream &in, DeviceFileFormat format,
                         absl::string_view name, DeviceTableBuilder &builder);

// Opens `path` and reads it (format by extension).
absl::Status LoadDeviceFile(const std::string &path,
                            DeviceTableBuilder &builder);

}  // namespace streamgate
