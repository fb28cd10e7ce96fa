#include "tests/fakes/failing_fdatasync.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace streamgate::testing {

std::atomic<int> fdatasync_failures_left{0};
std::atomic<int> fdatasync_calls{0};

}  // namespace streamgate::testing

extern "C" int fdatasync(int fd) {
  using streamgate::testing::fdatasync_failures_left;
  streamgate::testing::fdatasync_calls.fetch_add(1);
  int left = fdatasync_failures_left.load();
  while (left > 0) {
    if (fdatasync_failures_left.compare_exchange_weak(left, left - 1)) {
      errno = EIO;
      return -1;
    }
  }
  return static_cast<int>(::syscall(SYS_fdatasync, fd));
}
