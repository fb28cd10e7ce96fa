#include "sinks/file/fd_writer.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gateway/common/logging.h"

namespace streamgate {

absl::Status FdWriter::WriteAll(absl::string_view data, absl::Time give_up_after,
                                absl::Duration retry_every) {
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
      spdlog::error("{}: write failed: {}; {} bytes pending, retrying", what_,
                    strerror(err), data.size() - off);
      last_error_log_ = now;
    }
    if (now + retry_every > give_up_after) {
      return absl::UnavailableError(absl::StrCat(
          what_, ": write failed: ", strerror(err), "; ", data.size() - off,
          " bytes not written"));
    }
    absl::SleepFor(retry_every);
  }
  return absl::OkStatus();
}

}  // namespace streamgate
