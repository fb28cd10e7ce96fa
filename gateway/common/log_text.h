// Text helpers for logging: the one log-level parser (config, command line,
// Admin API) and escaping of strings that come from clients or devices, so
// a newline or other control character in an event type, a topic or a
// label cannot forge a log line.
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/optional.h"
#include "spdlog/common.h"

namespace streamgate {

// "trace|debug|info|warn|warning|error|err|critical|off" (any case); ""
// reads as trace (no minimum). nullopt for anything else.
absl::optional<spdlog::level::level_enum> ParseLogLevel(absl::string_view text);

// The level names ParseLogLevel accepts, for error messages.
constexpr char kLogLevelNames[] = "trace, debug, info, warn, error, critical, off";

// `text` with control characters (and backslash) escaped: \n \r \t \\ and
// \xHH for the rest, so it always fits on one log line. Bytes >= 0x80 are
// kept (UTF-8 stays readable). At most `max_bytes` of input are shown;
// longer text ends in "...(N bytes)".
std::string EscapeForLog(absl::string_view text, size_t max_bytes = 1024);

}  // namespace streamgate
