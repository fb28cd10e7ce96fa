// FileSink: appends each record as one JSON line (sinks/file/json_line.h) to
// a file. Each batch is written with as few write(2) calls as possible, so
// nothing waits in user space and no flush timer is needed; optional
// fdatasync after each batch; rotation by size keeping N old files
// (path.1 newest .. path.N oldest). A line never straddles two files.
//
// Threading: used by its module's worker thread only (see gateway/api/sink.h).
#pragma once

#include <cstdint>
#include <string>

#include "sinks/file/fd_writer.h"
#include "gateway/api/sink.h"

namespace streamgate {

struct FileSinkOptions {
  std::string path;
  bool fsync = false;
  int64_t rotate_bytes = 0;  // 0: never rotate
  int rotate_keep = 5;
};

class FileSink : public Sink {
 public:
  FileSink(std::string module_id, FileSinkOptions options);
  ~FileSink() override;

  absl::Status Start() override;
  void Write(OutBatch batch) override;
  absl::Status Flush(absl::Time deadline) override;
  void Close() override;

 private:
  absl::Status Open();
  absl::Status Rotate();
  void WriteOut(std::string& buffer);

  const std::string module_id_;
  const FileSinkOptions options_;
  FdWriter writer_;
  int64_t file_bytes_ = 0;
  std::string buffer_;
};

}  // namespace streamgate
