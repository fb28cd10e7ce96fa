// LineReader: splits a stream into lines for the devices-file parsers,
// bounded: a line longer than the limit is an error (named by its number),
// never a growing buffer. Strips a trailing CR (CRLF files) and a UTF-8 BOM
// at the start of the stream. One thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace streamgate {

class LineReader {
 public:
  LineReader(std::istream &in, size_t max_line_bytes);

  // The next line (without its terminator) in `line`, valid until the next
  // call; false at the end of the stream. Fails on a read error or a line
  // longer than the limit.
  absl::StatusOr<bool> Next(absl::string_view &line);
  // 1-based number of the line Next returned last.
  uint32_t line_number() const { return line_number_; }

 private:
  // Reads more of the stream after the unconsumed bytes; false at its end.
  bool Fill();

  std::istream &in_;
  const size_t max_line_bytes_;
  std::string buffer_;
  size_t begin_ = 0;  // first unconsumed byte
  size_t end_ = 0;    // end of the valid bytes
  bool eof_ = false;
  bool started_ = false;
  uint32_t line_number_ = 0;
};

}  // namespace streamgate
