// SpoolEnv: the file system as the spool sees it — files it appends to and
// syncs, files it reads at offsets, directory listing, rename, remove, a
// directory sync and an exclusive lock. The spool does every file operation
// through one, so tests can inject failing syncs, failing writes and power
// loss (tests/fakes/fault_spool_env.h); production uses the POSIX one
// (DefaultSpoolEnv(), posix_spool_env.cc). Modelled on LevelDB's Env.
//
// Errors carry the system's text only (strerror, e.g. "No space left on
// device") and a code: RESOURCE_EXHAUSTED for a full disk or quota
// (ENOSPC, EDQUOT), NOT_FOUND (ENOENT), ALREADY_EXISTS (EEXIST), else
// UNAVAILABLE. The caller names the file, so the spool's messages read the
// same whatever the env.
//
// Files are opened without following a symbolic link in their place
// (O_NOFOLLOW): such a link is refused with FAILED_PRECONDITION and the
// text kSymlinkRefused, so nobody can point a spool file elsewhere (e.g. at
// a file the gateway's user may write but should not). New files get the
// permission bits the caller passes (less the umask).
//
// Threading: an env and its directories are thread-safe. A WritableFile is
// written by one thread at a time, but Sync may run concurrently with Write
// (group commit syncs outside the spool's lock). A ReadableFile's Read is
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace streamgate {
namespace spool {

// The message of a refused symbolic link (see above).
inline constexpr char kSymlinkRefused[] =
    "is a symbolic link; the spool does not follow links in place of its "
    "files";

// A file the spool writes from start to end at offsets it keeps itself
// (pwrite): after a failed write it writes again where the last good one
// ended, whether or not cutting the partial write succeeded.
class WritableFile {
 public:
  virtual ~WritableFile() = default;

  // Writes all of `data` at `offset`. On error part of it may have been
  // written; Truncate takes it back.
  virtual absl::Status Write(uint64_t offset, absl::string_view data) = 0;

  // Cuts the file to `size` bytes.
  virtual absl::Status Truncate(uint64_t size) = 0;

  // fdatasync: once it returns OK, what was written survives a power loss.
  virtual absl::Status Sync() = 0;
};

// A file read at offsets.
class ReadableFile {
 public:
  virtual ~ReadableFile() = default;

  // Reads up to `n` bytes at `offset` into `scratch`; returns how many were
  // read, fewer than `n` only at the end of the file.
  virtual absl::StatusOr<size_t> Read(uint64_t offset, size_t n,
                                      char* scratch) const = 0;

  // The file's current size in bytes.
  virtual absl::StatusOr<uint64_t> Size() const = 0;
};

// An open directory, kept so its entries can be made durable.
class Directory {
 public:
  virtual ~Directory() = default;

  // fsync of the directory: files created, renamed or removed in it so far
  // survive a power loss.
  virtual absl::Status Sync() = 0;
};

// An exclusive lock on a file, held until destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class SpoolEnv {
 public:
  virtual ~SpoolEnv() = default;

  // Creates `path` and its missing parents; OK when it exists already.
  virtual absl::Status CreateDir(const std::string& path) = 0;

  virtual absl::StatusOr<std::unique_ptr<Directory>> OpenDirectory(
      const std::string& path) = 0;

  // Names of the entries of `dir` ("." and ".." excluded), in no order.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) = 0;

  enum class OpenMode {
    kCreateNew,         // `path` must not exist
    kCreateOrTruncate,  // created, or emptied when it exists
    kExisting,          // `path` must exist; its bytes are kept
  };
  // `permissions` (e.g. 0640) apply when the file is created.
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path, OpenMode mode, uint32_t permissions) = 0;

  virtual absl::StatusOr<std::unique_ptr<ReadableFile>> NewReadableFile(
      const std::string& path) = 0;

  // Replaces `to` atomically.
  virtual absl::Status Rename(const std::string& from,
                              const std::string& to) = 0;

  // NOT_FOUND when `path` does not exist.
  virtual absl::Status Remove(const std::string& path) = 0;

  // Creates `path` (with `permissions`) if needed and locks it exclusively
  // for this process. FAILED_PRECONDITION when another holder has it
  // locked or it is a symbolic link (kSymlinkRefused); other errors when
  // the file cannot be created.
  virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path, uint32_t permissions) = 0;
};

// The POSIX env, shared by every spool of the process; never destroyed.
SpoolEnv* DefaultSpoolEnv();

}  // namespace spool
}  // namespace streamgate
