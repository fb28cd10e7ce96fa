#include "adapters/mqtt/socket_read_buffer.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace streamgate {
namespace {

class SocketReadBufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
    ASSERT_EQ(fcntl(fds_[0], F_SETFL, O_NONBLOCK), 0);
  }
  void TearDown() override {
    close(fds_[0]);
    if (fds_[1] >= 0) close(fds_[1]);
  }
  void Send(const std::string& bytes) {
    ASSERT_EQ(write(fds_[1], bytes.data(), bytes.size()),
              static_cast<ssize_t>(bytes.size()));
  }
  int reader() const { return fds_[0]; }

  int fds_[2] = {-1, -1};
};

// Reads the way libmosquitto does: 1 byte, 1 byte, then the rest.
std::string ReadPacket(SocketReadBuffer& b, size_t body) {
  std::string out(2 + body, '\0');
  EXPECT_EQ(b.Read(&out[0], 1), 1);
  EXPECT_EQ(b.Read(&out[1], 1), 1);
  EXPECT_EQ(b.Read(&out[2], body), static_cast<ssize_t>(body));
  return out;
}

TEST_F(SocketReadBufferTest, ManySmallReadsComeFromOneKernelRead) {
  SocketReadBuffer b;
  b.Reset(reader());
  Send("ABcdeFGhij");
  EXPECT_EQ(ReadPacket(b, 3), "ABcde");
  EXPECT_EQ(b.buffered(), 5u);
  EXPECT_EQ(ReadPacket(b, 3), "FGhij");
  EXPECT_EQ(b.kernel_reads(), 1u);
  EXPECT_EQ(b.buffered(), 0u);
}

TEST_F(SocketReadBufferTest, ShortReadWhenLessIsBufferedThanAsked) {
  SocketReadBuffer b;
  b.Reset(reader());
  Send("xyz");
  char buf[8];
  EXPECT_EQ(b.Read(buf, 1), 1);
  EXPECT_EQ(b.Read(buf, sizeof buf), 2);  // no second kernel read
  EXPECT_EQ(std::string(buf, 2), "yz");
  EXPECT_EQ(b.kernel_reads(), 1u);
}

TEST_F(SocketReadBufferTest, EmptySocketGivesEagainAndEofGivesZero) {
  SocketReadBuffer b;
  b.Reset(reader());
  char c;
  errno = 0;
  EXPECT_EQ(b.Read(&c, 1), -1);
  EXPECT_EQ(errno, EAGAIN);
  Send("q");
  close(fds_[1]);
  fds_[1] = -1;
  EXPECT_EQ(b.Read(&c, 1), 1);
  EXPECT_EQ(c, 'q');
  EXPECT_EQ(b.Read(&c, 1), 0);
  EXPECT_EQ(b.Read(&c, 1), 0);
}

TEST_F(SocketReadBufferTest, ResetDropsWhatIsBuffered) {
  SocketReadBuffer b;
  b.Reset(reader());
  Send("old bytes");
  char c;
  ASSERT_EQ(b.Read(&c, 1), 1);
  EXPECT_GT(b.buffered(), 0u);
  b.Reset(reader());
  EXPECT_EQ(b.buffered(), 0u);
  Send("N");
  EXPECT_EQ(b.Read(&c, 1), 1);
  EXPECT_EQ(c, 'N');
}

TEST_F(SocketReadBufferTest, LargeReadsBypassTheBuffer) {
  SocketReadBuffer b;
  b.Reset(reader());
  const std::string big(SocketReadBuffer::kCapacity + 100, 'z');
  std::thread writer([&] { Send(big); });
  std::string got;
  std::string chunk(SocketReadBuffer::kCapacity * 2, '\0');
  while (got.size() < big.size()) {
    const ssize_t n = b.Read(&chunk[0], chunk.size());
    if (n < 0 && errno == EAGAIN) continue;
    ASSERT_GT(n, 0);
    got.append(chunk, 0, static_cast<size_t>(n));
  }
  writer.join();
  EXPECT_EQ(got, big);
  EXPECT_EQ(b.buffered(), 0u);
}

// The process-wide `read` serves only the installing thread, and only on
// the buffer's socket.
TEST_F(SocketReadBufferTest, InterposedReadServesOnlyTheInstallingThread) {
  SocketReadBuffer b;
  b.Reset(reader());
  Send("abc");
  char c = 0;
  // Not installed yet: plain read(2).
  ASSERT_EQ(::read(reader(), &c, 1), 1);
  EXPECT_EQ(c, 'a');
  EXPECT_EQ(b.kernel_reads(), 0u);

  b.Install();
  EXPECT_EQ(InstalledSocketReadBuffer(), &b);
  ASSERT_EQ(::read(reader(), &c, 1), 1);
  EXPECT_EQ(c, 'b');
  EXPECT_EQ(b.kernel_reads(), 1u);
  EXPECT_EQ(b.buffered(), 1u);  // 'c' now lives in the buffer

  // Another thread, or another descriptor, reads the kernel directly.
  Send("d");
  std::thread other([&] {
    EXPECT_EQ(InstalledSocketReadBuffer(), nullptr);
    char d = 0;
    EXPECT_EQ(::read(reader(), &d, 1), 1);
    EXPECT_EQ(d, 'd');
  });
  other.join();
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  ASSERT_EQ(write(pipe_fds[1], "p", 1), 1);
  EXPECT_EQ(::read(pipe_fds[0], &c, 1), 1);
  EXPECT_EQ(c, 'p');
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  EXPECT_EQ(b.kernel_reads(), 1u);

  ASSERT_EQ(::read(reader(), &c, 1), 1);
  EXPECT_EQ(c, 'c');
  b.Uninstall();
  EXPECT_EQ(InstalledSocketReadBuffer(), nullptr);
}

}  // namespace
}  // namespace streamgate
