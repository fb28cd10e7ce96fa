#include "sinks/kinesis/dead_letter_writer.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "gateway/common/give_up_line.h"
#include "gateway/common/log_text.h"
#include "gateway/common/logging.h"

namespace streamgate::kinesis {

DeadLetterWriter::DeadLetterWriter(std::string module_id, DeadLetterOptions own,
                                   DeadLetterFile* shared,
                                   std::shared_ptr<spdlog::logger> logger)
    : module_id_(std::move(module_id)), logger_(std::move(logger)), file_(shared) {
  if (!own.path.empty()) {
    own_ = std::make_unique<DeadLetterFile>(std::move(own));
    file_ = own_.get();
  }
}

absl::Status DeadLetterWriter::Open() {
  if (own_ == nullptr) return absl::OkStatus();
  absl::Status st = own_->Open();
  if (!st.ok()) {
    // DeadLetterFile names its own section (dead_letter.path); this one is
    // the sink's.
    return absl::Status(
        st.code(), absl::StrCat("sink.dead_letter_path: ",
                                absl::StripPrefix(st.message(),
                                                  "dead_letter.path: ")));
  }
  return absl::OkStatus();
}

std::string DeadLetterLine(absl::string_view module_id,
                           const PendingRecord& record, absl::Time now) {
  GiveUp g;
  g.source = "kinesis";
  g.module = module_id;
  g.reason = record.last_error;
  g.attempts = static_cast<int64_t>(record.attempts);
  g.partition_key = record.record.partition_key;
  g.data = *record.record.data;
  return GiveUpLine(g, now);
}

size_t DeadLetterWriter::Write(const PendingBatch& records, absl::Time now) {
  if (records.empty()) return 0;
  if (file_ == nullptr) {
    logger_->error("{} record(s) undeliverable and neither "
                   "sink.dead_letter_path nor dead_letter.path is set; first "
                   "reason: {}",
                   records.size(), EscapeForLog(records.front().last_error));
    return 0;
  }
  size_t written = 0;
  for (const PendingRecord& r : records) {
    // A lost line is counted and logged by the file (rate-limited).
    if (file_->Append(DeadLetterLine(module_id_, r, now))) ++written;
  }
  return written;
}

}  // namespace streamgate::kinesis
