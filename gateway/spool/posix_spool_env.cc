// The POSIX SpoolEnv (DefaultSpoolEnv() in spool_env.h): plain file
// descriptors, pread, pwrite, fdatasync, flock. Like LevelDB's
// env_posix.cc it has no header of its own; nothing names its classes.
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "gateway/spool/spool_env.h"

namespace streamgate {
namespace spool {
namespace {

// The errno's text, with the code spool_env.h promises.
absl::Status ErrnoStatus(int err) {
  absl::StatusCode code = absl::StatusCode::kUnavailable;
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      code = absl::StatusCode::kResourceExhausted;
      break;
    case ENOENT:
      code = absl::StatusCode::kNotFound;
      break;
    case EEXIST:
      code = absl::StatusCode::kAlreadyExists;
      break;
    case ELOOP:  // O_NOFOLLOW met a symbolic link
      return absl::FailedPreconditionError(kSymlinkRefused);
  }
  return absl::Status(code, std::strerror(err));
}

class PosixWritableFile : public WritableFile {
 public:
  explicit PosixWritableFile(int fd) : fd_(fd) {}
  ~PosixWritableFile() override { close(fd_); }

  absl::Status Write(uint64_t offset, absl::string_view data) override {
    const char* p = data.data();
    size_t n = data.size();
    while (n > 0) {
      const ssize_t w = pwrite(fd_, p, n, static_cast<off_t>(offset));
      if (w < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno);
      }
      p += w;
      n -= static_cast<size_t>(w);
      offset += static_cast<uint64_t>(w);
    }
    return absl::OkStatus();
  }

  absl::Status Truncate(uint64_t size) override {
    if (ftruncate(fd_, static_cast<off_t>(size)) != 0) {
      return ErrnoStatus(errno);
    }
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (fdatasync(fd_) != 0) return ErrnoStatus(errno);
    return absl::OkStatus();
  }

 private:
  const int fd_;
};

class PosixReadableFile : public ReadableFile {
 public:
  explicit PosixReadableFile(int fd) : fd_(fd) {}
  ~PosixReadableFile() override { close(fd_); }

  absl::StatusOr<size_t> Read(uint64_t offset, size_t n,
                              char* scratch) const override {
    size_t got = 0;
    while (got < n) {
      const ssize_t r =
          pread(fd_, scratch + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(errno);
      }
      if (r == 0) break;  // end of file
      got += static_cast<size_t>(r);
    }
    return got;
  }

  absl::StatusOr<uint64_t> Size() const override {
    struct stat st;
    if (fstat(fd_, &st) != 0) return ErrnoStatus(errno);
    return static_cast<uint64_t>(st.st_size);
  }

 private:
  const int fd_;
};

class PosixDirectory : public Directory {
 public:
  explicit PosixDirectory(int fd) : fd_(fd) {}
  ~PosixDirectory() override { close(fd_); }

  absl::Status Sync() override {
    if (fsync(fd_) != 0) return ErrnoStatus(errno);
    return absl::OkStatus();
  }

 private:
  const int fd_;
};

// flock locks belong to the open file description: closing the descriptor
// releases the lock.
class PosixFileLock : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { close(fd_); }

 private:
  const int fd_;
};

absl::StatusOr<std::unique_ptr<WritableFile>> OpenWritable(
    const std::string& path, int flags, uint32_t permissions) {
  const int fd = open(path.c_str(), flags | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
                      static_cast<mode_t>(permissions));
  if (fd < 0) return ErrnoStatus(errno);
  return std::unique_ptr<WritableFile>(new PosixWritableFile(fd));
}

class PosixSpoolEnv : public SpoolEnv {
 public:
  absl::Status CreateDir(const std::string& path) override {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec) return ErrnoStatus(ec.value());
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<Directory>> OpenDirectory(
      const std::string& path) override {
    const int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(errno);
    return std::unique_ptr<Directory>(new PosixDirectory(fd));
  }

  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) override {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return ErrnoStatus(errno);
    std::vector<std::string> names;
    while (dirent* e = readdir(d)) {
      const absl::string_view name(e->d_name);
      if (name != "." && name != "..") names.emplace_back(name);
    }
    closedir(d);
    return names;
  }

  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path, OpenMode mode, uint32_t permissions) override {
    switch (mode) {
      case OpenMode::kCreateNew:
        return OpenWritable(path, O_CREAT | O_EXCL, permissions);
      case OpenMode::kCreateOrTruncate:
        return OpenWritable(path, O_CREAT | O_TRUNC, permissions);
      case OpenMode::kExisting:
        break;
    }
    return OpenWritable(path, 0, permissions);
  }

  absl::StatusOr<std::unique_ptr<ReadableFile>> NewReadableFile(
      const std::string& path) override {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return ErrnoStatus(errno);
    return std::unique_ptr<ReadableFile>(new PosixReadableFile(fd));
  }

  absl::Status Rename(const std::string& from, const std::string& to) override {
    if (rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus(errno);
    return absl::OkStatus();
  }

  absl::Status Remove(const std::string& path) override {
    if (unlink(path.c_str()) != 0) return ErrnoStatus(errno);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path, uint32_t permissions) override {
    const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                        static_cast<mode_t>(permissions));
    if (fd < 0) return ErrnoStatus(errno);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      close(fd);
      return absl::FailedPreconditionError(std::strerror(err));
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }
};

}  // namespace

SpoolEnv* DefaultSpoolEnv() {
  static SpoolEnv* const env = new PosixSpoolEnv();
  return env;
}

}  // namespace spool
}  // namespace streamgate
