// Appending JSON text fragments to a string, byte-exact and fast: strings
// escaped the way JavaScript's JSON.stringify escapes them, numbers in
// ECMAScript Number::toString form, and RFC 3339 UTC timestamps. Rendering the
// same value twice gives the same bytes, and JSON.stringify of the parsed
// value gives them too. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/time/time.h"

namespace streamgate {

// Appends `s` as a quoted JSON string. `s` must be valid UTF-8; it is copied
// raw except '"', '\\' and control characters below 0x20.
void AppendJsonString(std::string& out, absl::string_view s);

// Appends a finite double as ECMAScript's Number::toString would print it
// (21 → "21", 1e21 → "1e+21", 1e-7 → "1e-7", -0 → "0"). `value` must be
// finite.
void AppendJsNumber(std::string& out, double value);

// Appends standard base64 (RFC 4648, with padding) of `data`. Table-driven
// (two output characters per lookup), written in place: OpenSSL's
// EVP_EncodeBlock cost ~11 instructions a byte, 16% of the MQTT path's user
// time; this is a few.
void AppendBase64(std::string& out, absl::string_view data);

// Appends an integer in decimal.
void AppendInt(std::string& out, int64_t value);

// Appends `t` as a quoted JSON string in RFC 3339 UTC with 'Z' and 0, 3, 6 or 9 fraction digits (the
// fewest that are exact). `t` must lie in years 0001..9999.
void AppendRfc3339(std::string& out, absl::Time t);

// True when `t` can be rendered by AppendRfc3339.
bool IsRenderableTime(absl::Time t);

}  // namespace streamgate
