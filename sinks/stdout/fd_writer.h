// FdWriter: writes whole buffers to a file descriptor that cannot be cut
// back (standard output), resuming after short writes and EINTR so a line
// is never split by a partial write. On a hard error (EIO, a full pipe
// target) it keeps the unwritten rest and retries every second until it
// succeeds: records are never dropped silently, and a stalled writer pushes
// back onto its module's queue. Failures are logged at most every 10 s.
//
// Threading: not thread-safe; one owner thread.
#pragma once

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace spdlog {
class logger;
}

namespace streamgate {

class FdWriter {
 public:
  // `what` names the destination in logs ("stdout"); `logger` is the
  // module's.
  FdWriter(int fd, std::string what, std::shared_ptr<spdlog::logger> logger)
      : fd_(fd), what_(std::move(what)), logger_(std::move(logger)) {}

  // Writes all of `data`, however long that takes.
  void WriteAll(absl::string_view data);

 private:
  const int fd_;
  const std::string what_;
  const std::shared_ptr<spdlog::logger> logger_;
  absl::Time last_error_log_ = absl::InfinitePast();
};

}  // namespace streamgate
