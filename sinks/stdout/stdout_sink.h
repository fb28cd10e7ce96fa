// StdoutSink: each record as one JSON line (sinks/file/json_line.h) on
// standard output, one write(2) per batch so lines from a batch are never
// interleaved with anything else the process writes there (logs go to
// stderr). Threading: its module's worker thread only.
#pragma once

#include <string>

#include "sinks/file/fd_writer.h"
#include "gateway/api/sink.h"

namespace streamgate {

class StdoutSink : public Sink {
 public:
  explicit StdoutSink(std::string module_id);

  absl::Status Start() override { return absl::OkStatus(); }
  void Write(OutBatch batch) override;
  absl::Status Flush(absl::Time deadline) override {
    return absl::OkStatus();
  }
  void Close() override {}

 private:
  const std::string module_id_;
  FdWriter writer_;
  std::string buffer_;
};

}  // namespace streamgate
