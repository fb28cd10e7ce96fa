// A spdlog logger for sink tests, standing in for the module's logger
// (SinkContext::logger): it keeps every message in memory so a test can
// check what a sink logged, and counts nothing else. Test-only.
//
// Threading: sinks log from their own threads; Messages() locks.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "spdlog/sinks/base_sink.h"
#include "spdlog/spdlog.h"

namespace streamgate::testing {

class MemoryLogSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Every message so far, as "level: text".
  std::vector<std::string> Messages() {
    std::lock_guard<std::mutex> lock(mutex_);
    return messages_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const auto level = spdlog::level::to_string_view(msg.level);
    messages_.push_back(std::string(level.data(), level.size()) + ": " +
                        std::string(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}

 private:
  std::vector<std::string> messages_;
};

// A logger named `name` writing to `sink` (also echoed to stderr, so a
// failing test shows what the sink said).
inline std::shared_ptr<spdlog::logger> TestLogger(
    const std::string& name, std::shared_ptr<MemoryLogSink>& sink) {
  sink = std::make_shared<MemoryLogSink>();
  auto logger = std::make_shared<spdlog::logger>(
      name, spdlog::sinks_init_list{sink, spdlog::default_logger()->sinks().front()});
  logger->set_level(spdlog::level::trace);
  return logger;
}

inline std::shared_ptr<spdlog::logger> TestLogger(const std::string& name) {
  std::shared_ptr<MemoryLogSink> unused;
  return TestLogger(name, unused);
}

}  // namespace streamgate::testing
