// DeadLetterWriter: where records that cannot be delivered go. Appends one
// JSON line per record to the module's dead_letter_path:
//   {"module":..,"partitionKey":..,"data":"<base64>","error":..,"attempts":N}
// Without a path (or when writing fails) it logs an ERROR naming the module,
// the count and the error, so nothing disappears silently.
//
// Threading: Write is thread-safe (one mutex); Open is called once first.
#pragma once

#include <cstdio>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "sinks/kinesis/pending_record.h"

namespace streamgate::kinesis {

class DeadLetterWriter {
 public:
  DeadLetterWriter(std::string module_id, std::string path);
  ~DeadLetterWriter();

  // Creates parent directories and opens the file for appending.
  absl::Status Open();

  // Appends `records` and flushes. Returns how many were written to the
  // file (0 when there is no file).
  size_t Write(const PendingBatch& records);

  const std::string& path() const { return path_; }

 private:
  const std::string module_id_;
  const std::string path_;
  absl::Mutex mu_;
  std::FILE* file_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace streamgate::kinesis
