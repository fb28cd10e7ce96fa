#include "gateway/common/async_log_sink.h"

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/api/metrics_writer.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/spdlog.h"

namespace streamgate {

// std::mutex rather than absl::Mutex: the condition variables wait with
// deadlines on the same lock the writer releases around write(2).
struct AsyncLogSink::State {
  explicit State(AsyncLogOptions o) : options(std::move(o)) {}

  const AsyncLogOptions options;
  std::mutex mu;
  std::condition_variable work;                  // lines queued, or stop
  std::condition_variable drained;               // the writer finished a batch
  std::unique_ptr<spdlog::formatter> formatter;  // guarded by mu
  std::deque<std::string> lines;                 // guarded by mu
  size_t bytes = 0;                              // guarded by mu
  uint64_t dropped = 0;                          // guarded by mu
  uint64_t unreported = 0;  // dropped, not yet said in the log; mu
  bool writing = false;     // the writer holds a batch; mu
  bool stop = false;        // mu

  void Run();
  static void WriteAll(int fd, const std::string& data);
};

void AsyncLogSink::State::WriteAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;  // stderr closed or broken: nothing better to do with a log
    }
  }
}

void AsyncLogSink::State::Run() {
  std::string batch;
  std::unique_lock<std::mutex> lock(mu);
  while (true) {
    work.wait(lock, [&] { return stop || !lines.empty(); });
    if (lines.empty()) return;  // stop, and all written
    batch.clear();
    if (unreported > 0) {
      batch = absl::StrCat("streamgate: ", unreported,
                           " log line(s) dropped (log output too slow)\n");
      unreported = 0;
    }
    // Up to 64 KiB per write(2).
    while (!lines.empty() && batch.size() < (64 << 10)) {
      bytes -= lines.front().size();
      batch.append(lines.front());
      lines.pop_front();
    }
    writing = true;
    lock.unlock();
    WriteAll(options.fd, batch);
    lock.lock();
    writing = false;
    drained.notify_all();
    if (batch.capacity() > (1 << 20)) std::string().swap(batch);
  }
}

AsyncLogSink::AsyncLogSink(AsyncLogOptions options)
    : state_(std::make_shared<State>(std::move(options))) {
  state_->formatter = std::make_unique<spdlog::pattern_formatter>();
  // The thread owns a reference: it may outlive the sink (see ~AsyncLogSink).
  std::thread([s = state_] { s->Run(); }).detach();
}

AsyncLogSink::~AsyncLogSink() {
  flush();
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->stop = true;
  state_->work.notify_all();
}

void AsyncLogSink::log(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t buf;
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->formatter->format(msg, buf);
  const size_t n = buf.size();
  if (state_->lines.size() >= state_->options.max_lines ||
      state_->bytes + n > state_->options.max_bytes) {
    ++state_->dropped;
    ++state_->unreported;
    return;
  }
  state_->lines.emplace_back(buf.data(), n);
  state_->bytes += n;
  state_->work.notify_one();
}

void AsyncLogSink::flush() {
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->drained.wait_for(
      lock, absl::ToChronoNanoseconds(state_->options.flush_timeout),
      [&] { return state_->lines.empty() && !state_->writing; });
}

void AsyncLogSink::set_pattern(const std::string& pattern) {
  set_formatter(std::make_unique<spdlog::pattern_formatter>(pattern));
}

void AsyncLogSink::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->formatter = std::move(formatter);
}

uint64_t AsyncLogSink::dropped() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->dropped;
}

size_t AsyncLogSink::queued() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->lines.size();
}

std::shared_ptr<spdlog::logger> AsyncLogSink::Install(
    const std::string& name, std::shared_ptr<AsyncLogSink> sink) {
  auto logger = std::make_shared<spdlog::logger>(name, std::move(sink));
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v",
                      spdlog::pattern_time_type::utc);
  return logger;
}

void CollectLogMetrics(metrics::MetricsWriter& out) {
  auto root = spdlog::default_logger();
  if (root == nullptr) return;
  for (const spdlog::sink_ptr& s : root->sinks()) {
    if (auto* async = dynamic_cast<const AsyncLogSink*>(s.get())) {
      out.Counter("streamgate_log_lines_dropped_total",
                  "Log lines dropped because the log output (stderr) did "
                  "not keep up and the log queue was full.",
                  {}, static_cast<double>(async->dropped()));
    }
  }
}

}  // namespace streamgate
