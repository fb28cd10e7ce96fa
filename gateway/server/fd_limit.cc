#include "gateway/server/fd_limit.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"

namespace streamgate {
namespace {

// The kernel's ceiling for RLIMIT_NOFILE (an unlimited hard limit cannot
// be the soft one).
uint64_t NrOpen() {
  std::ifstream in("/proc/sys/fs/nr_open");
  uint64_t n = 0;
  if (in >> n && n > 0) return n;
  return 1048576;
}

}  // namespace

absl::StatusOr<FdLimit> RaiseFdLimitToHard() {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    return absl::InternalError(
        absl::StrCat("getrlimit(RLIMIT_NOFILE): ", std::strerror(errno)));
  }
  FdLimit out;
  out.soft_before = rl.rlim_cur;
  out.hard = rl.rlim_max == RLIM_INFINITY ? NrOpen() : rl.rlim_max;
  out.soft = rl.rlim_cur;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < out.hard) {
    rl.rlim_cur = out.hard;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
      return absl::InternalError(absl::StrCat(
          "setrlimit(RLIMIT_NOFILE, ", out.hard, "): ", std::strerror(errno)));
    }
    out.soft = out.hard;
  }
  return out;
}

}  // namespace streamgate
