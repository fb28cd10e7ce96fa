// Shared helpers of the config tests: parse text that must be refused (its
// message) or accepted (the config). Test-only; one thread.
#pragma once

#include <string>
#include <vector>

#include "gateway/core/config.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace testing {

// The top-level sections the built-in adapters own.
inline const std::vector<std::string> kTestAdapterSections = {"grpc", "api_keys", "mqtt"};

// Parses text that must be refused; returns the message.
inline std::string Err(const std::string& yaml,
                const std::vector<std::string>& sections = kTestAdapterSections) {
  auto c = ParseConfig(yaml, "test.yaml", sections);
  EXPECT_FALSE(c.ok()) << "accepted:\n" << yaml;
  if (c.ok()) return "";
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(c.status().message());
}

inline GatewayConfig Ok(const std::string& yaml) {
  auto c = ParseConfig(yaml, "test.yaml", kTestAdapterSections);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : GatewayConfig();
}

// A valid module, for configs whose error lies elsewhere.
inline constexpr char kModules[] =
    "modules:\n"
    "  - {id: m, subscribe_events: ['*'], sink: {type: stdout}}\n";

}  // namespace testing
}  // namespace streamgate
