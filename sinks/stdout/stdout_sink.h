// StdoutSink: each record as one JSON line (sinks/file/json_line.h) on
// standard output, one write(2) per batch so lines from a batch are never
// interleaved with anything else the process writes there (logs go to
// stderr). A batch is reported delivered once written; a failing write is
// retried until it succeeds (FdWriter), so nothing is dead-lettered.
//
// Threading: its module's worker thread only (see gateway/api/sink.h).
#pragma once

#include <memory>
#include <string>

#include "gateway/api/sink.h"
#include "sinks/stdout/fd_writer.h"

namespace streamgate {

class StdoutSink : public Sink {
 public:
  // `logger` is the module's.
  StdoutSink(std::string module_id, std::shared_ptr<spdlog::logger> logger);

  absl::Status Start() override { return absl::OkStatus(); }
  void Deliver(OutBatch batch, DeliveryDone done) override;
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
