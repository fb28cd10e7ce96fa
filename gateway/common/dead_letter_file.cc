#include "gateway/common/dead_letter_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace streamgate {
namespace {

std::string Rotated(const std::string& path, int64_t i) {
  return absl::StrCat(path, ".", i);
}

}  // namespace

DeadLetterFile::DeadLetterFile(DeadLetterOptions options)
    : options_(std::move(options)) {}

DeadLetterFile::~DeadLetterFile() {
  absl::MutexLock lock(&mu_);
  if (fd_ >= 0) ::close(fd_);
}

absl::Status DeadLetterFile::Open() {
  absl::MutexLock lock(&mu_);
  return OpenLocked();
}

absl::Status DeadLetterFile::OpenLocked() {
  if (fd_ >= 0) return absl::OkStatus();
  if (options_.path.empty()) {
    return absl::FailedPreconditionError("dead_letter.path: not set");
  }
  const std::filesystem::path p(options_.path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("dead_letter.path: cannot create ",
                       p.parent_path().string(), ": ", ec.message()));
    }
  }
  const int fd = ::open(options_.path.c_str(),
                        O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "dead_letter.path: cannot open ", options_.path, ": ",
        std::strerror(errno)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::UnavailableError(absl::StrCat(
        "dead_letter.path: cannot stat ", options_.path, ": ",
        std::strerror(err)));
  }
  fd_ = fd;
  size_ = static_cast<uint64_t>(st.st_size);
  return absl::OkStatus();
}

absl::Status DeadLetterFile::RotateLocked() {
  ::close(fd_);
  fd_ = -1;
  const std::string& path = options_.path;
  if (options_.keep == 0) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return absl::UnavailableError(absl::StrCat(
          "cannot remove ", path, ": ", std::strerror(errno)));
    }
  } else {
    // Oldest first, so nothing is overwritten before it moved on.
    ::unlink(Rotated(path, options_.keep).c_str());
    for (int64_t i = options_.keep - 1; i >= 1; --i) {
      if (::rename(Rotated(path, i).c_str(), Rotated(path, i + 1).c_str()) !=
              0 &&
          errno != ENOENT) {
        return absl::UnavailableError(absl::StrCat(
            "cannot rename ", Rotated(path, i), ": ", std::strerror(errno)));
      }
    }
    if (::rename(path.c_str(), Rotated(path, 1).c_str()) != 0 &&
        errno != ENOENT) {
      return absl::UnavailableError(absl::StrCat(
          "cannot rename ", path, ": ", std::strerror(errno)));
    }
  }
  counters_.rotations.fetch_add(1, std::memory_order_relaxed);
  return OpenLocked();
}

void DeadLetterFile::LostLocked(absl::string_view why) {
  counters_.lines_lost.fetch_add(1, std::memory_order_relaxed);
  ++unlogged_losses_;
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
  if (fd_ < 0) {
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
  if (size_ > 0 && size_ + n > static_cast<uint64_t>(options_.max_bytes)) {
    absl::Status st = RotateLocked();
    if (!st.ok()) {
      next_open_ = absl::Now() + absl::Seconds(1);
      LostLocked(absl::StrCat("rotation failed: ", st.message()));
      return false;
    }
  }
  struct iovec iov[2];
  iov[0].iov_base = const_cast<char*>(line.data());
  iov[0].iov_len = line.size();
  iov[1].iov_base = const_cast<char*>("\n");
  iov[1].iov_len = 1;
  const ssize_t w = ::writev(fd_, iov, 2);
  if (w != static_cast<ssize_t>(n)) {
    const int err = w < 0 ? errno : ENOSPC;
    // A partial line would corrupt the next one: cut it off again.
    if (w > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
      size_ += static_cast<uint64_t>(w);  // cannot cut; keep the bound honest
    }
    LostLocked(std::strerror(err));
    return false;
  }
  size_ += n;
  counters_.lines_written.fetch_add(1, std::memory_order_relaxed);
  counters_.bytes_written.fetch_add(n, std::memory_order_relaxed);
  return true;
}

}  // namespace streamgate
