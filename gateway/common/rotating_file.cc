#include "gateway/common/rotating_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"

namespace streamgate {
namespace {

std::string Rotated(const std::string& path, int64_t i) {
  return absl::StrCat(path, ".", i);
}

absl::Status RenameIfPresent(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
    return absl::UnavailableError(
        absl::StrCat("cannot rename ", from, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

// Unlinks `path` (absent is fine), counting its '\n's into `lines` first
// when asked. O_NOFOLLOW: a symlink is removed, not read through.
absl::Status DropFile(const std::string& path, uint64_t* lines) {
  if (lines != nullptr) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      char buf[64 << 10];
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof(buf))) > 0 ||
             (n < 0 && errno == EINTR)) {
        if (n > 0)
          *lines += static_cast<uint64_t>(std::count(buf, buf + n, '\n'));
      }
      ::close(fd);
    }
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::UnavailableError(
        absl::StrCat("cannot remove ", path, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

RotatingFile::RotatingFile(RotatingFileOptions options)
    : options_(std::move(options)) {}

RotatingFile::~RotatingFile() { Close(); }

void RotatingFile::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

absl::Status RotatingFile::Open() {
  if (fd_ >= 0) return absl::OkStatus();
  const std::filesystem::path p(options_.path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat(
          "cannot create ", p.parent_path().string(), ": ", ec.message()));
    }
  }
  const int fd = ::open(options_.path.c_str(),
                        O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                        options_.mode);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("cannot open ", options_.path,
                                               ": ", std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot stat ", options_.path, ": ", std::strerror(err)));
  }
  fd_ = fd;
  size_ = static_cast<uint64_t>(st.st_size);
  return absl::OkStatus();
}

absl::Status RotatingFile::Rotate(uint64_t* dropped_lines) {
  Close();
  const std::string& path = options_.path;
  absl::Status shifted;
  if (options_.keep == 0) {
    shifted = DropFile(path, dropped_lines);
  } else {
    // Oldest first, so nothing is overwritten before it moved on.
    shifted = DropFile(Rotated(path, options_.keep), dropped_lines);
    for (int64_t i = options_.keep - 1; i >= 1 && shifted.ok(); --i) {
      shifted = RenameIfPresent(Rotated(path, i), Rotated(path, i + 1));
    }
    if (shifted.ok()) shifted = RenameIfPresent(path, Rotated(path, 1));
  }
  absl::Status opened = Open();
  return shifted.ok() ? opened : shifted;
}

absl::Status RotatingFile::Write(absl::string_view data) {
  if (fd_ < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(options_.path, " is not open"));
  }
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const int err = n < 0 ? errno : ENOSPC;
    // A partial line would corrupt the next one: cut it off again.
    if (off > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      size_ += off;  // cannot cut; keep the bound honest
    }
    return absl::UnavailableError(std::strerror(err));
  }
  size_ += data.size();
  return absl::OkStatus();
}

absl::Status RotatingFile::Sync() {
  if (fd_ >= 0 && options_.sync(fd_) != 0 && errno != EINVAL) {
    return absl::UnavailableError(
        absl::StrCat("fdatasync: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace streamgate
