// FileSink: appends each record as one JSON line (sinks/file/json_line.h) to
// a file. Each batch is written with as few write(2) calls as possible, so
// nothing waits in user space and no flush timer is needed; optional
// fdatasync after each batch; rotation by size keeping N old files
// (path.1 newest .. path.N oldest) through the gateway's RotatingFile
// (gateway/common/rotating_file.h). A line never straddles two files.
//
// A batch is reported delivered once written (and, with fsync, once
// fdatasync said so). A failing write (disk full) or fdatasync is retried
// every second until it succeeds: the module stalls, and backpressure
// reaches the clients, rather than losing records; nothing is
// dead-lettered. After a failed fdatasync the file is reopened and the
// whole batch written again (the kernel may have dropped the pages it
// could not write), so the file may then hold some lines twice.
//
// The file is created with `mode` (default 0640) and never followed
// through a symlink (RotatingFile opens with O_NOFOLLOW).
//
// Threading: used by its module's worker thread only (see gateway/api/sink.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "gateway/api/sink.h"
#include "gateway/common/rotating_file.h"

namespace streamgate {

struct FileSinkOptions {
  std::string path;
  bool fsync = false;
  int64_t rotate_bytes = 0;  // 0: never rotate
  int rotate_keep = 5;
  mode_t mode = 0640;  // of a file the sink creates, before the umask
  // fdatasync(2), injectable (see RotatingFileOptions::sync).
  std::function<int(int fd)> sync = ::fdatasync;
};

class FileSink : public Sink {
 public:
  // `logger` is the module's.
  FileSink(std::string module_id, FileSinkOptions options,
           std::shared_ptr<spdlog::logger> logger);
  ~FileSink() override;

  absl::Status Start() override;
  void Deliver(OutBatch batch, DeliveryDone done) override;
  absl::Status Flush(absl::Time deadline) override;
  void Close() override;

 private:
  // Writes and clears `buffer`, retrying until it is in the file (and
  // synced, with fsync).
  void WriteOut(std::string& buffer);
  // Logs a failure at most once per 10 s.
  void LogFailure(absl::string_view what, const absl::Status& st,
                  size_t pending);
  void Rotate();

  const std::string module_id_;
  const FileSinkOptions options_;
  const std::shared_ptr<spdlog::logger> logger_;
  RotatingFile file_;
  std::string buffer_;
  absl::Time last_error_log_ = absl::InfinitePast();
};

}  // namespace streamgate
