#include "sinks/stdout/stdout_sink.h"

#include <unistd.h>

#include <utility>

#include "gateway/api/metrics_writer.h"
#include "sinks/file/json_line.h"

namespace streamgate {

StdoutSink::StdoutSink(std::string module_id,
                       std::shared_ptr<spdlog::logger> logger)
    : module_id_(std::move(module_id)),
      writer_(STDOUT_FILENO, "stdout", std::move(logger)) {}

void StdoutSink::Deliver(OutBatch batch, DeliveryDone done) {
  buffer_.clear();
  for (const OutRecord& r : batch) AppendJsonLine(buffer_, module_id_, r);
  writer_.WriteAll(buffer_);
  // A rare huge batch must not pin its buffer's memory forever.
  if (buffer_.capacity() > (8 << 20)) std::string().swap(buffer_);
  DeliveryReport report;
  report.delivered = batch.size();
  if (done) std::move(done)(report);
}


}  // namespace streamgate
