// DeadLetterWriter: where the Kinesis sink's given-up records go. One JSON
// line per record, on a bounded, rotated DeadLetterFile
// (gateway/common/dead_letter_file.h):
//   {"time":..,"source":"kinesis","module":..,"reason":..,"attempts":N,
//    "partitionKey":..,"bytes":N,"data":"<base64 of the record>"}
// The file is the sink's own `sink.dead_letter_path` when set, else the
// gateway-wide `dead_letter:` file. With neither it logs an ERROR (through
// the module's logger) with the count and the first reason; a line the file
// cannot take is counted and logged by the file. Nothing disappears
// silently.
//
// Threading: Write is thread-safe; Open is called once first.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gateway/common/dead_letter_file.h"
#include "gateway/common/dead_letter_options.h"
#include "sinks/kinesis/pending_record.h"

namespace spdlog {
class logger;
}

namespace streamgate::kinesis {

class DeadLetterWriter {
 public:
  // `own.path` empty: no file of the sink's own; `shared` (may be null) is
  // the gateway's file, which must outlive the writer. `logger` is the
  // module's.
  DeadLetterWriter(std::string module_id, DeadLetterOptions own,
                   DeadLetterFile* shared, std::shared_ptr<spdlog::logger> logger);

  // Opens the sink's own file (creating parent directories). An error names
  // sink.dead_letter_path.
  absl::Status Open();

  // Appends one line per record. Returns how many reached the file.
  size_t Write(const PendingBatch& records, absl::Time now);

  // The file lines go to, or null.
  const DeadLetterFile* file() const { return file_; }

 private:
  const std::string module_id_;
  const std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<DeadLetterFile> own_;
  DeadLetterFile* file_;  // own_ or the shared file, or null
};

// One dead-letter line (without the trailing newline) for `record`.
std::string DeadLetterLine(absl::string_view module_id,
                           const PendingRecord& record, absl::Time now);

}  // namespace streamgate::kinesis
