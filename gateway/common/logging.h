// Logging: spdlog plus a formatter for absl::string_view (this Abseil's
// string_view is its own type, which fmt cannot print on its own), so
// Status::message() can be logged directly. Include this instead of
// spdlog/spdlog.h. Thread-safe as spdlog is.
#pragma once

#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename FormatContext>
  auto format(absl::string_view s, FormatContext& ctx) const {
    return fmt::formatter<fmt::string_view>::format(
        fmt::string_view(s.data(), s.size()), ctx);
  }
};
