#include "adapters/mqtt/socket_read_buffer.h"

#include <algorithm>
#include <cstring>

// libc's own entry point for read(2) (glibc exports it next to `read`); the
// `read` defined below forwards to it. <unistd.h> is not included on
// purpose: with _FORTIFY_SOURCE it turns `read` into an inline wrapper.
extern "C" ssize_t __read(int fd, void* buf, size_t count);

namespace streamgate {
namespace {

// A plain pointer with constant initialisation: no TLS wrapper, safe from
// the first instruction of any thread.
thread_local SocketReadBuffer* installed = nullptr;

}  // namespace

SocketReadBuffer* InstalledSocketReadBuffer() { return installed; }

SocketReadBuffer::SocketReadBuffer() : data_(new char[kCapacity]) {}

SocketReadBuffer::~SocketReadBuffer() { Uninstall(); }

void SocketReadBuffer::Install() { installed = this; }

void SocketReadBuffer::Uninstall() {
  if (installed == this) installed = nullptr;
}

void SocketReadBuffer::Reset(int fd) {
  fd_ = fd;
  begin_ = end_ = 0;
}

ssize_t SocketReadBuffer::Read(void* buf, size_t count) {
  if (count == 0) return 0;
  if (begin_ == end_) {
    begin_ = end_ = 0;
    kernel_reads_.fetch_add(1, std::memory_order_relaxed);
    // A large body goes straight to the caller, no copy.
    if (count >= kCapacity) return __read(fd_, buf, count);
    const ssize_t got = __read(fd_, data_.get(), kCapacity);
    if (got <= 0) return got;
    end_ = static_cast<size_t>(got);
  }
  const size_t n = std::min(count, end_ - begin_);
  std::memcpy(buf, data_.get() + begin_, n);
  begin_ += n;
  return static_cast<ssize_t>(n);
}

}  // namespace streamgate

// Interposes libc's read(2) for the whole process (see the header). Costs
// every other caller one thread-local load and a compare.
extern "C" __attribute__((visibility("default"))) ssize_t read(int fd, void* buf,
                                                             size_t count) {
  streamgate::SocketReadBuffer* b = streamgate::installed;
  if (b != nullptr && fd == b->socket() && fd >= 0) return b->Read(buf, count);
  return __read(fd, buf, count);
}
