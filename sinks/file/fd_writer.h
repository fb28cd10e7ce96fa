// FdWriter: writes whole buffers to a file descriptor, resuming after short
// writes and EINTR, so a line is never split by a partial write. On a hard
// error (disk full, EIO) it keeps the unwritten rest and retries until it
// succeeds or the owner gives up at shutdown: records are never dropped
// silently. Not thread-safe: one owner thread.
#pragma once

#include <atomic>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace streamgate {

class FdWriter {
 public:
  // `what` names the destination in logs ("module 'x': file /a/b").
  FdWriter(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}

  void set_fd(int fd) { fd_ = fd; }
  int fd() const { return fd_; }

  // Writes all of `data`. Retries hard errors every `retry_every` until
  // `give_up_after` (absolute) passes; then returns the error.
  absl::Status WriteAll(absl::string_view data, absl::Time give_up_after,
                        absl::Duration retry_every = absl::Seconds(1));

 private:
  int fd_;
  std::string what_;
  absl::Time last_error_log_ = absl::InfinitePast();
};

}  // namespace streamgate
