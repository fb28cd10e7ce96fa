#include "adapters/grpc/protobuf_log.h"

#include <mutex>
#include <string>

#include "gateway/common/log_text.h"
#include "gateway/common/logging.h"
#include "google/protobuf/stubs/logging.h"

namespace streamgate {
namespace {

void ToSpdlog(google::protobuf::LogLevel level, const char* filename, int line,
              const std::string& message) {
  const auto spd = level == google::protobuf::LOGLEVEL_FATAL
                       ? spdlog::level::critical
                       : spdlog::level::debug;
  if (!spdlog::default_logger_raw()->should_log(spd)) return;
  spdlog::log(spd, "protobuf: {} ({}:{})", EscapeForLog(message),
              filename == nullptr ? "?" : filename, line);
}

}  // namespace

void RouteProtobufLogToSpdlog() {
  static std::once_flag once;
  std::call_once(once, [] { google::protobuf::SetLogHandler(&ToSpdlog); });
}

}  // namespace streamgate
