// SocketReadBuffer: user-space read buffering for libmosquitto's socket.
//
// Why: libmosquitto reads each MQTT packet with one read(2) for the command
// byte, one per byte of the remaining length and one for the rest — four
// system calls for a ~150-byte PUBLISH, which were most of the gateway's CPU
// per message at QoS 0. The library has no I/O hook, so this module defines
// `read` in the executable: the dynamic linker binds libmosquitto's (and
// every other library's) read calls to it, ahead of libc's. It hands every
// call straight to libc, except a call made on a thread that installed a
// SocketReadBuffer, on that buffer's socket: those are served from a 64 KiB
// buffer that one read(2) fills with many packets. Bytes come out in the
// order the kernel gave them, so libmosquitto parses exactly the same stream.
//
// What a buffering caller must know: bytes held here are no longer visible
// to select/poll on the socket. The owner must check buffered() before it
// waits for readability (MqttSession reads directly while buffered() > 0).
//
// Threading: a buffer belongs to the one thread that Install()ed it; only
// that thread's reads are ever served from it. kernel_reads() may be read
// from any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace streamgate {

class SocketReadBuffer {
 public:
  static constexpr size_t kCapacity = 64 * 1024;

  SocketReadBuffer();
  ~SocketReadBuffer();  // uninstalls if installed on this thread
  SocketReadBuffer(const SocketReadBuffer&) = delete;
  SocketReadBuffer& operator=(const SocketReadBuffer&) = delete;

  // Makes this thread's reads of socket() go through the buffer.
  void Install();
  void Uninstall();

  // The socket to buffer (-1: none) and drops whatever is buffered. Call
  // with the new socket after every (re)connect and with -1 when the
  // connection ends, so a reused descriptor number never sees old bytes.
  void Reset(int fd);
  int socket() const { return fd_; }

  // Bytes read from the kernel and not yet handed out.
  size_t buffered() const { return end_ - begin_; }

  // read(2) semantics for socket(): up to `count` bytes, buffered ones
  // first; with none buffered, one kernel read of up to kCapacity. Returns
  // what that kernel read returned (0 at EOF, -1 with errno) when it
  // brought nothing.
  ssize_t Read(void* buf, size_t count);

  // read(2) calls made on the socket (for the metrics and the tests).
  uint64_t kernel_reads() const {
    return kernel_reads_.load(std::memory_order_relaxed);
  }

 private:
  int fd_ = -1;
  std::unique_ptr<char[]> data_;
  size_t begin_ = 0;
  size_t end_ = 0;
  std::atomic<uint64_t> kernel_reads_{0};
};

// The buffer installed on the calling thread, or null.
SocketReadBuffer* InstalledSocketReadBuffer();

}  // namespace streamgate
