#include "sinks/stdout/stdout_sink.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "sinks/file/json_line.h"
#include "gateway/common/logging.h"

namespace streamgate {

StdoutSink::StdoutSink(std::string module_id)
    : module_id_(std::move(module_id)),
      writer_(STDOUT_FILENO, absl::StrCat("module '", module_id_, "': stdout")) {}

void StdoutSink::Write(OutBatch batch) {
  buffer_.clear();
  for (const OutRecord& r : batch) AppendJsonLine(buffer_, module_id_, r);
  absl::Status st = writer_.WriteAll(buffer_, absl::InfiniteFuture());
  if (!st.ok()) spdlog::error("{}", st.message());
  if (buffer_.capacity() > (8 << 20)) std::string().swap(buffer_);
}

}  // namespace streamgate
