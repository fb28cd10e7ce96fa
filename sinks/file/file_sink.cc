#include "sinks/file/file_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "sinks/file/json_line.h"
#include "gateway/common/logging.h"

namespace streamgate {

FileSink::FileSink(std::string module_id, FileSinkOptions options)
    : module_id_(std::move(module_id)),
      options_(std::move(options)),
      writer_(-1, absl::StrCat("module '", module_id_, "': file ",
                               options_.path)) {}

FileSink::~FileSink() { Close(); }

absl::Status FileSink::Open() {
  const std::filesystem::path p(options_.path);
  if (p.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("module '", module_id_, "': cannot create ",
                       p.parent_path().string(), ": ", ec.message()));
    }
  }
  const int fd = ::open(options_.path.c_str(),
                        O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("module '", module_id_,
                                               "': cannot open ", options_.path,
                                               ": ", strerror(errno)));
  }
  struct stat st;
  file_bytes_ = ::fstat(fd, &st) == 0 ? st.st_size : 0;
  writer_.set_fd(fd);
  return absl::OkStatus();
}

absl::Status FileSink::Start() { return Open(); }

absl::Status FileSink::Rotate() {
  if (writer_.fd() >= 0) ::close(writer_.fd());
  writer_.set_fd(-1);
  // Shift path.(N-1) → path.N ... path → path.1; the oldest falls off.
  for (int i = options_.rotate_keep - 1; i >= 0; --i) {
    const std::string from =
        i == 0 ? options_.path : absl::StrCat(options_.path, ".", i);
    const std::string to = absl::StrCat(options_.path, ".", i + 1);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
      spdlog::error("module '{}': rotating {} to {}: {}", module_id_, from, to,
                    strerror(errno));
    }
  }
  if (options_.rotate_keep == 0) ::unlink(options_.path.c_str());
  return Open();
}

void FileSink::WriteOut(std::string& buffer) {
  if (buffer.empty()) return;
  // Never gives up: a full disk stalls this module (and backpressure reaches
  // the clients) rather than losing records.
  absl::Status st = writer_.WriteAll(buffer, absl::InfiniteFuture());
  if (!st.ok()) spdlog::error("{}", st.message());
  file_bytes_ += static_cast<int64_t>(buffer.size());
  if (options_.fsync) ::fdatasync(writer_.fd());
  buffer.clear();
}

void FileSink::Write(OutBatch batch) {
  buffer_.clear();
  for (const OutRecord& r : batch) {
    const size_t before = buffer_.size();
    AppendJsonLine(buffer_, module_id_, r);
    if (options_.rotate_bytes > 0 &&
        file_bytes_ + static_cast<int64_t>(buffer_.size()) >
            options_.rotate_bytes &&
        file_bytes_ + static_cast<int64_t>(before) > 0) {
      // Write what fits, rotate, and start the new file with this line.
      std::string line = buffer_.substr(before);
      buffer_.resize(before);
      WriteOut(buffer_);
      while (!Rotate().ok()) absl::SleepFor(absl::Seconds(1));
      buffer_ = std::move(line);
    }
  }
  WriteOut(buffer_);
  // A rare huge batch must not pin its buffer's memory forever.
  if (buffer_.capacity() > (8 << 20)) std::string().swap(buffer_);
}

absl::Status FileSink::Flush(absl::Time deadline) {
  if (writer_.fd() >= 0 && ::fdatasync(writer_.fd()) != 0 && errno != EINVAL) {
    return absl::UnavailableError(absl::StrCat(
        "module '", module_id_, "': fdatasync: ", strerror(errno)));
  }
  return absl::OkStatus();
}

void FileSink::Close() {
  if (writer_.fd() >= 0) {
    ::close(writer_.fd());
    writer_.set_fd(-1);
  }
}

}  // namespace streamgate
