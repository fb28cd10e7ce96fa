// RotatingFile: an append-only file bounded by size, rotated by renaming
// (path -> path.1 -> ... -> path.keep, the oldest deleted). The one
// rotation used by the file sink (whole batches of JSON lines) and by
// DeadLetterFile (one line at a time), so both keep the same files on disk.
//
// Write puts `data` at the end of the file in full or not at all: short
// writes and EINTR are resumed, and after a hard error (disk full, EIO) the
// part already written is cut off again, so the file never ends in a torn
// line and the caller may simply retry or give up. The size bound is the
// caller's to apply (NeedsRotation before each write), because only the
// caller knows where its lines end.
//
// Files are created with `mode` (0640 by default) and opened with
// O_NOFOLLOW: a symlink planted at the path is refused (ELOOP), never
// written through.
//
// Threading: not thread-safe; one owner, or the owner's lock.
#pragma once

#include <sys/types.h>

#include <unistd.h>

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace streamgate {

struct RotatingFileOptions {
  std::string path;
  // One file's bound; 0 never rotates. See NeedsRotation.
  int64_t max_bytes = 0;
  // Rotated files kept (path.1 newest .. path.keep oldest); 0 keeps none.
  int64_t keep = 0;
  // Permissions of a file this class creates (before the umask).
  mode_t mode = 0640;
  // The data sync call (fdatasync(2)); a seam so tests can make it fail as
  // a dying disk would. Returns 0 or -1 with errno set.
  std::function<int(int fd)> sync = ::fdatasync;
};

class RotatingFile {
 public:
  explicit RotatingFile(RotatingFileOptions options);
  ~RotatingFile();
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  // Creates the parent directories and opens the file for appending (its
  // current size counts towards the bound). A no-op when open. Errors read
  // "cannot create DIR: why" / "cannot open PATH: why"; callers prefix
  // them with what the file is for.
  absl::Status Open();
  bool is_open() const { return fd_ >= 0; }
  void Close();

  // True when writing `bytes` more would take a non-empty file past
  // max_bytes: rotate first. A write bigger than max_bytes on its own then
  // gets a file of its own.
  bool NeedsRotation(uint64_t bytes) const {
    return options_.max_bytes > 0 && size_ > 0 &&
           size_ + bytes > static_cast<uint64_t>(options_.max_bytes);
  }

  // Closes the file, shifts the rotated ones (dropping the oldest, or the
  // file itself when keep is 0) and opens a fresh one. A rename or unlink
  // that fails stops the shift; the file is reopened anyway (is_open
  // tells), and the first error is returned: "cannot rename PATH: why".
  // With `dropped_lines`, the '\n's of the file deleted are counted into it
  // first, so callers that must account for every line can.
  absl::Status Rotate(uint64_t* dropped_lines = nullptr);

  // Appends all of `data` or nothing (see the header comment). Errors
  // carry strerror's text; FAILED_PRECONDITION when the file is not open.
  absl::Status Write(absl::string_view data);

  // fdatasync; OK when not open.
  absl::Status Sync();

  // Bytes in the current file (as opened plus written).
  uint64_t size() const { return size_; }
  const RotatingFileOptions& options() const { return options_; }

 private:
  const RotatingFileOptions options_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace streamgate
