// DeadLetterFile: a bounded, rotated JSON-lines file for what the gateway
// gives up on (inputs rejected at the door, records whose delivery gave up).
// Each Append is one write(2) of one line under a mutex: cheap enough for
// rejects, and a full or failing disk never blocks a caller — the line is
// counted as lost and logged (at most once per 10 s with the count).
//
// Bound: before a line would take the file past max_bytes the file is
// rotated (path -> path.1 -> ... -> path.keep, the oldest deleted), so the
// disk taken is at most max_bytes * (keep + 1). The lines of the file
// rotation deletes are counted as lost too (and logged), so lines_lost
// covers every line that was ever accepted and is gone. A line longer than
// max_bytes - 1 is refused (callers clip their payloads to
// max_line_bytes()). A torn line from a partial write is cut off again.
// One DeadLetterFile per path per process (rotation is not shared). The
// file and its rotation are a RotatingFile (gateway/common/rotating_file.h);
// this class adds the lock, the line bound, lazy (re)opening and the
// counting and logging of lost lines.
//
// Threading: every method is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/common/dead_letter_options.h"
#include "gateway/common/rotating_file.h"

namespace streamgate {

// What happened to the lines, for metrics.
struct DeadLetterCounters {
  std::atomic<uint64_t> lines_written{0};
  std::atomic<uint64_t> bytes_written{0};
  // Write/rotate failed, too long, or deleted by rotation.
  std::atomic<uint64_t> lines_lost{0};
  std::atomic<uint64_t> rotations{0};
};

class DeadLetterFile {
 public:
  explicit DeadLetterFile(DeadLetterOptions options);
  ~DeadLetterFile();
  DeadLetterFile(const DeadLetterFile&) = delete;
  DeadLetterFile& operator=(const DeadLetterFile&) = delete;

  // Creates the parent directories and opens the file for appending. An
  // error names dead_letter.path. Append works without it (it opens lazily).
  absl::Status Open();

  // Appends `line` plus '\n'. `line` must not contain '\n'. Returns false
  // when the line was lost (counted and logged).
  bool Append(absl::string_view line);

  // The longest line Append accepts.
  size_t max_line_bytes() const {
    return static_cast<size_t>(options_.max_bytes) - 1;
  }
  const DeadLetterOptions& options() const { return options_; }
  const DeadLetterCounters& counters() const { return counters_; }

 private:
  absl::Status OpenLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts `lines` lost and logs why (at most once per 10 s).
  void LostLocked(absl::string_view why, uint64_t lines = 1)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const DeadLetterOptions options_;
  DeadLetterCounters counters_;
  absl::Mutex mu_;
  RotatingFile file_ ABSL_GUARDED_BY(mu_);
  std::string line_ ABSL_GUARDED_BY(mu_);  // the line being written, + '\n'
  // Re-opening after a failure is tried at most once a second.
  absl::Time next_open_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time next_log_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t unlogged_losses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace streamgate
