#include "sinks/stdout/fd_writer.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "absl/time/clock.h"
#include "gateway/common/logging.h"

namespace streamgate {

void FdWriter::WriteAll(absl::string_view data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const int err = n < 0 ? errno : EIO;
    const absl::Time now = absl::Now();
    if (now - last_error_log_ > absl::Seconds(10)) {
      logger_->error("{}: write failed: {}; {} bytes pending, retrying", what_,
                     strerror(err), data.size() - off);
      last_error_log_ = now;
    }
    absl::SleepFor(absl::Seconds(1));
  }
}

}  // namespace streamgate
