// AsyncLogSink (issue 15 item 3): a logger writing to a pipe nobody reads
// never blocks its callers; what does not fit the bounded queue is dropped
// and counted, and once the reader drains the pipe the writer says how
// many lines it dropped, then writes what was queued. Without a stuck
// reader every line arrives, in order, formatted.
#include "gateway/common/async_log_sink.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gateway/api/metrics_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spdlog/spdlog.h"

namespace streamgate {
namespace {

using ::testing::HasSubstr;

// The writer thread may still be writing when a test closes its pipe; as in
// the gateway (which ignores SIGPIPE), that must end the write, not the
// process.
class Pipe {
 public:
  Pipe() {
    ::signal(SIGPIPE, SIG_IGN);
    EXPECT_EQ(::pipe2(fds_, O_CLOEXEC), 0);
  }
  ~Pipe() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  int read_fd() const { return fds_[0]; }
  int write_fd() const { return fds_[1]; }
  // Reads until `done(text so far)` holds (blocking reads: the writer
  // thread is behind them).
  template <typename Done>
  std::string ReadUntil(Done done) {
    std::string text;
    char buf[65536];
    while (!done(text)) {
      const ssize_t n = ::read(fds_[0], buf, sizeof(buf));
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
    return text;
  }

 private:
  int fds_[2] = {-1, -1};
};

std::shared_ptr<spdlog::logger> Logger(std::shared_ptr<AsyncLogSink> sink) {
  auto logger = std::make_shared<spdlog::logger>("t", std::move(sink));
  logger->set_pattern("%l %v");
  return logger;
}

TEST(AsyncLogSinkTest, WritesEveryLineInOrderWhenTheReaderKeepsUp) {
  Pipe pipe;
  AsyncLogOptions o;
  o.fd = pipe.write_fd();
  auto sink = std::make_shared<AsyncLogSink>(o);
  auto logger = Logger(sink);
  for (int i = 0; i < 100; ++i) logger->warn("line {}", i);
  const std::string text = pipe.ReadUntil(
      [](const std::string& t) { return absl::StrContains(t, "line 99\n"); });
  std::vector<std::string> lines =
      absl::StrSplit(text, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 100u);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(lines[i], absl::StrCat("warning line ", i));
  EXPECT_EQ(sink->dropped(), 0u);
}

TEST(AsyncLogSinkTest, AStuckReaderNeverBlocksLoggersAndDropsAreCounted) {
  Pipe pipe;
  AsyncLogOptions o;
  o.fd = pipe.write_fd();
  o.max_lines = 100;
  o.flush_timeout = absl::Milliseconds(50);
  auto sink = std::make_shared<AsyncLogSink>(o);
  auto logger = Logger(sink);
  // Far more than the pipe (64 KiB) and the queue (100 lines) hold: with a
  // blocking sink this loop would never finish.
  const std::string pad(200, 'p');
  constexpr int kLines = 20000;
  for (int i = 0; i < kLines; ++i) logger->warn("flood {} {}", i, pad);
  logger->flush();  // bounded: returns although the pipe is full
  const uint64_t dropped = sink->dropped();
  EXPECT_GT(dropped, 0u);
  EXPECT_LT(dropped, static_cast<uint64_t>(kLines));

  // The reader comes back: the writer reports the drops, then goes on.
  std::string text;
  std::thread reader([&] {
    text = pipe.ReadUntil([](const std::string& t) {
      return absl::StrContains(t, "after the flood\n");
    });
  });
  while (sink->queued() > 0) logger->flush();
  logger->warn("after the flood");  // the queue has room again
  reader.join();
  // Every line is either written or counted in a notice.
  size_t written = 0;
  uint64_t noticed = 0;
  for (absl::string_view l : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(l, "warning flood ")) ++written;
    uint64_t n = 0;
    if (absl::ConsumePrefix(&l, "streamgate: ") &&
        absl::ConsumeSuffix(&l, " log line(s) dropped (log output too slow)") &&
        absl::SimpleAtoi(l, &n)) {
      noticed += n;
    }
  }
  EXPECT_EQ(noticed, dropped);
  EXPECT_EQ(written + dropped, static_cast<uint64_t>(kLines));
}

class CountingWriter : public metrics::MetricsWriter {
 public:
  void Counter(absl::string_view name, absl::string_view,
               const metrics::Labels&, double value) override {
    if (name == "streamgate_log_lines_dropped_total") last = value;
  }
  void Gauge(absl::string_view, absl::string_view, const metrics::Labels&,
             double) override {}
  void Histogram(absl::string_view, absl::string_view, const metrics::Labels&,
                 const metrics::HistogramSnapshot&) override {}
  double last = -1;
};

TEST(AsyncLogSinkTest, InstalledAsTheDefaultLoggerItsDropsAreAMetric) {
  auto previous = spdlog::default_logger();
  CountingWriter before;
  CollectLogMetrics(before);
  EXPECT_EQ(before.last, -1);  // no async sink: no family
  Pipe pipe;
  AsyncLogOptions o;
  o.fd = pipe.write_fd();
  o.max_lines = 1;
  o.flush_timeout = absl::Milliseconds(50);
  auto sink = std::make_shared<AsyncLogSink>(o);
  AsyncLogSink::Install("t", sink);
  const std::string big(70000, 'b');  // one line fills the pipe
  for (int i = 0; i < 50; ++i) spdlog::warn("{}", big);
  CountingWriter after;
  CollectLogMetrics(after);
  EXPECT_EQ(after.last, static_cast<double>(sink->dropped()));
  EXPECT_GT(after.last, 0);
  spdlog::set_default_logger(previous);
  // Unblock the writer so the sink can wind down.
  pipe.ReadUntil([&](const std::string& t) { return t.size() >= big.size(); });
}

}  // namespace
}  // namespace streamgate
