#include "sinks/file/file_sink.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gateway/api/metrics_writer.h"
#include "gateway/common/logging.h"
#include "sinks/file/json_line.h"

namespace streamgate {
namespace {

RotatingFileOptions FileOptions(const FileSinkOptions& o) {
  RotatingFileOptions f;
  f.path = o.path;
  f.max_bytes = o.rotate_bytes;
  f.keep = o.rotate_keep;
  f.mode = o.mode;
  f.sync = o.sync;
  return f;
}

}  // namespace

FileSink::FileSink(std::string module_id, FileSinkOptions options,
                   std::shared_ptr<spdlog::logger> logger)
    : module_id_(std::move(module_id)),
      options_(std::move(options)),
      logger_(std::move(logger)),
      file_(FileOptions(options_)) {}

FileSink::~FileSink() { Close(); }

absl::Status FileSink::Start() {
  absl::Status st = file_.Open();
  if (!st.ok()) {
    // Start's errors end the gateway with no module logger in between.
    return absl::Status(
        st.code(), absl::StrCat("module '", module_id_, "': ", st.message()));
  }
  return absl::OkStatus();
}

void FileSink::Rotate() {
  absl::Status st = file_.Rotate();
  // Writing goes on: into the fresh file, or into the old one when a
  // rename failed; WriteOut reopens when no file could be opened.
  if (!st.ok()) logger_->error("rotating {}: {}", options_.path, st.message());
}

void FileSink::LogFailure(absl::string_view what, const absl::Status& st,
                          size_t pending) {
  const absl::Time now = absl::Now();
  if (now - last_error_log_ <= absl::Seconds(10)) return;
  logger_->error("file {}: {} failed: {}; {} bytes pending, retrying",
                 options_.path, what, st.message(), pending);
  last_error_log_ = now;
}

void FileSink::WriteOut(std::string& buffer) {
  if (buffer.empty()) return;
  // Never gives up: a full disk stalls this module (and backpressure reaches
  // the clients) rather than losing records. A failed write leaves nothing
  // behind, so the whole buffer is simply written again.
  while (true) {
    absl::Status st = file_.Open();  // a no-op when open
    if (st.ok()) st = file_.Write(buffer);
    if (!st.ok()) {
      LogFailure("write", st, buffer.size());
    } else if (!options_.fsync) {
      break;
    } else if (st = file_.Sync(); st.ok()) {
      break;
    } else {
      // The pages fdatasync could not write may be gone from the cache:
      // write the batch again, on a fresh descriptor.
      LogFailure("fdatasync", st, buffer.size());
      file_.Close();
    }
    absl::SleepFor(absl::Seconds(1));
  }
  buffer.clear();
}

void FileSink::Deliver(OutBatch batch, DeliveryDone done) {
  buffer_.clear();
  for (const OutRecord& r : batch) {
    const uint64_t before = buffer_.size();
    AppendJsonLine(buffer_, module_id_, r);
    // Rotate before a line that would take the file past rotate_bytes,
    // unless nothing precedes it (a line over the bound gets a file of its
    // own): write what fits, rotate, and start the new file with this line.
    if (options_.rotate_bytes > 0 &&
        file_.size() + buffer_.size() >
            static_cast<uint64_t>(options_.rotate_bytes) &&
        file_.size() + before > 0) {
      std::string line = buffer_.substr(before);
      buffer_.resize(before);
      WriteOut(buffer_);
      Rotate();
      buffer_ = std::move(line);
    }
  }
  WriteOut(buffer_);
  // A rare huge batch must not pin its buffer's memory forever.
  if (buffer_.capacity() > (8 << 20)) std::string().swap(buffer_);
  DeliveryReport report;
  report.delivered = batch.size();
  if (done) std::move(done)(report);
}

absl::Status FileSink::Flush(absl::Time deadline) { return file_.Sync(); }

void FileSink::Close() { file_.Close(); }

}  // namespace streamgate
