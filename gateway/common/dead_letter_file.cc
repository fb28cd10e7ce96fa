#include "gateway/common/dead_letter_file.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/common/logging.h"

namespace streamgate {
namespace {

RotatingFileOptions FileOptions(const DeadLetterOptions& options) {
  RotatingFileOptions o;
  o.path = options.path;
  o.max_bytes = options.max_bytes;
  o.keep = options.keep;
  o.mode = 0640;
  return o;
}

}  // namespace

DeadLetterFile::DeadLetterFile(DeadLetterOptions options)
    : options_(std::move(options)), file_(FileOptions(options_)) {}

DeadLetterFile::~DeadLetterFile() = default;

absl::Status DeadLetterFile::Open() {
  absl::MutexLock lock(&mu_);
  return OpenLocked();
}

absl::Status DeadLetterFile::OpenLocked() {
  if (options_.path.empty()) {
    return absl::FailedPreconditionError("dead_letter.path: not set");
  }
  absl::Status st = file_.Open();
  if (!st.ok()) {
    return absl::Status(st.code(),
                        absl::StrCat("dead_letter.path: ", st.message()));
  }
  return absl::OkStatus();
}

void DeadLetterFile::LostLocked(absl::string_view why, uint64_t lines) {
  counters_.lines_lost.fetch_add(lines, std::memory_order_relaxed);
  unlogged_losses_ += lines;
  const absl::Time now = absl::Now();
  if (now < next_log_) return;
  next_log_ = now + absl::Seconds(10);
  spdlog::error("dead letters: {} line(s) could not be written to {}: {}",
                unlogged_losses_, options_.path,
                std::string(why.data(), why.size()));
  unlogged_losses_ = 0;
}

bool DeadLetterFile::Append(absl::string_view line) {
  const size_t n = line.size() + 1;
  absl::MutexLock lock(&mu_);
  if (line.size() > max_line_bytes()) {
    LostLocked(absl::StrCat("a line of ", n, " bytes is over max_bytes ",
                            options_.max_bytes));
    return false;
  }
  if (!file_.is_open()) {
    const absl::Time now = absl::Now();
    if (now < next_open_) {
      LostLocked("the file is not open (retrying every second)");
      return false;
    }
    absl::Status st = OpenLocked();
    if (!st.ok()) {
      next_open_ = now + absl::Seconds(1);
      LostLocked(st.message());
      return false;
    }
  }
  if (file_.NeedsRotation(n)) {
    uint64_t dropped = 0;
    absl::Status st = file_.Rotate(&dropped);
    if (dropped > 0) {
      LostLocked(
          absl::StrCat("deleted by rotation (keep: ", options_.keep, ")"),
          dropped);
    }
    if (!st.ok()) {
      if (!file_.is_open()) next_open_ = absl::Now() + absl::Seconds(1);
      LostLocked(absl::StrCat("rotation failed: ", st.message()));
      return false;
    }
    counters_.rotations.fetch_add(1, std::memory_order_relaxed);
  }
  line_.assign(line.data(), line.size());
  line_.push_back('\n');
  absl::Status st = file_.Write(line_);
  // One line's buffer is kept for the next; a rare huge one is not.
  if (line_.capacity() > (1 << 20)) std::string().swap(line_);
  if (!st.ok()) {
    LostLocked(st.message());
    return false;
  }
  counters_.lines_written.fetch_add(1, std::memory_order_relaxed);
  counters_.bytes_written.fetch_add(n, std::memory_order_relaxed);
  return true;
}

}  // namespace streamgate
