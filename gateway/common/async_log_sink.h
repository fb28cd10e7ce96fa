// AsyncLogSink: the gateway's log output (stderr) behind a bounded queue, so
// a log line never blocks the thread that logs it. spdlog's own loggers
// format each line on the calling thread and hand it here; one writer
// thread writes the queue to the file descriptor. When stderr is a pipe
// nobody reads (or a slow terminal), the writer blocks, the queue fills and
// further lines are dropped and counted — gRPC and MQTT threads go on. Once
// the writer catches up it writes "N log line(s) dropped" first.
//
// Install() makes it the default logger's only sink; module loggers forward
// to the default logger's sinks (gateway/core/module_log.h), so they go
// through it too.
//
// Threading: log, flush and dropped are thread-safe. flush waits at most
// `flush_timeout` for the queue to drain (a stuck stderr must not stop a
// shutdown); the destructor does the same and then leaves a writer still
// blocked in write(2) behind (detached, owning its own state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "spdlog/sinks/sink.h"

namespace spdlog {
class logger;
}

namespace streamgate {
namespace metrics {
class MetricsWriter;
}

struct AsyncLogOptions {
  int fd = 2;                  // written with write(2), never closed
  size_t max_lines = 8192;     // queued lines before dropping
  size_t max_bytes = 4 << 20;  // queued bytes before dropping
  absl::Duration flush_timeout = absl::Seconds(2);
};

class AsyncLogSink : public spdlog::sinks::sink {
 public:
  explicit AsyncLogSink(AsyncLogOptions options = {});
  ~AsyncLogSink() override;
  AsyncLogSink(const AsyncLogSink&) = delete;
  AsyncLogSink& operator=(const AsyncLogSink&) = delete;

  void log(const spdlog::details::log_msg& msg) override;
  // Waits (at most flush_timeout) until every queued line is written.
  void flush() override;
  void set_pattern(const std::string& pattern) override;
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

  // Lines dropped because the queue was full, since start.
  uint64_t dropped() const;
  // Lines waiting to be written.
  size_t queued() const;

  // Makes a logger named `name` with `sink` as its only sink the default
  // logger, with the gateway's pattern (UTC time, level, message).
  static std::shared_ptr<spdlog::logger> Install(
      const std::string& name, std::shared_ptr<AsyncLogSink> sink);

 private:
  struct State;  // shared with the writer thread, which may outlive this
  std::shared_ptr<State> state_;
};

// streamgate_log_lines_dropped_total, when the default logger writes
// through an AsyncLogSink (nothing otherwise).
void CollectLogMetrics(metrics::MetricsWriter& out);

}  // namespace streamgate
