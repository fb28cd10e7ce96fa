#include "gateway/core/registry/line_reader.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace streamgate {
namespace {
constexpr size_t kChunk = 1 << 16;
constexpr char kBom[] = "\xEF\xBB\xBF";
}  // namespace

LineReader::LineReader(std::istream &in, size_t max_line_bytes)
    : in_(in), max_line_bytes_(max_line_bytes) {
  buffer_.resize(std::max(kChunk, max_line_bytes + 2));
}

bool LineReader::Fill() {
  if (eof_) return false;
  // Move the partial line to the front, then read after it.
  if (begin_ > 0) {
    std::memmove(&buffer_[0], &buffer_[begin_], end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) return false;
  in_.read(&buffer_[end_], static_cast<std::streamsize>(buffer_.size() - end_));
  const size_t got = static_cast<size_t>(in_.gcount());
  end_ += got;
  if (got == 0) eof_ = true;
  return got > 0;
}

absl::StatusOr<bool> LineReader::Next(absl::string_view &line) {
  if (!started_) {
    started_ = true;
    while (end_ < 3 && Fill()) {
    }
    if (end_ >= 3 && std::memcmp(buffer_.data(), kBom, 3) == 0) begin_ = 3;
  }
  size_t scanned = begin_;
  while (true) {
    const char *start = buffer_.data() + scanned;
    const void *nl = std::memchr(start, '\n', end_ - scanned);
    if (nl != nullptr) {
      const size_t at = static_cast<const char *>(nl) - buffer_.data();
      size_t len = at - begin_;
      ++line_number_;
      if (len > 0 && buffer_[begin_ + len - 1] == '\r') --len;
      if (len > max_line_bytes_) break;
      line = absl::string_view(buffer_.data() + begin_, len);
      begin_ = at + 1;
      return true;
    }
    scanned = end_;
    if (end_ - begin_ > max_line_bytes_ + 1) {  // +1: a CR may follow
      ++line_number_;
      break;
    }
    const size_t kept = end_ - begin_;
    if (!Fill()) {
      if (in_.bad()) {
        return absl::DataLossError(
            absl::StrCat("read error after line ", line_number_));
      }
      // Not bad: the end (a full buffer cannot be: its size exceeds the
      // longest partial line the check above lets through).
      if (begin_ == end_) return false;
      // The last line has no newline.
      ++line_number_;
      size_t len = end_ - begin_;
      if (buffer_[begin_ + len - 1] == '\r') --len;
      if (len > max_line_bytes_) break;
      line = absl::string_view(buffer_.data() + begin_, len);
      begin_ = end_;
      return true;
    }
    scanned = begin_ + kept;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "line ", line_number_, ": longer than ", max_line_bytes_, " bytes"));
}

}  // namespace streamgate
