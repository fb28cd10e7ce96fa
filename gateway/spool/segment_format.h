// The on-disk format of spool segments, and reading it back.
//
// A segment file is an 8-byte header ("SGSPOOL1") followed by frames:
//   magic u32 | length u32 | crc u32 | payload[length]      (little-endian)
//   payload = key_length u32 | partition key | record data
//   crc     = CRC32C(length field bytes, payload)
// The magic lets a reader find the next frame after a damaged region; the
// CRC tells a real frame from bytes that merely look like one.
//
// FrameReader reads frames through a bounded window of one file (read
// through the SpoolEnv, spool_env.h); a ScanSegment pass classifies a whole
// segment (valid frames, damaged middle regions, torn tail). Not
// thread-safe: one FrameReader per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/spool/spool_env.h"

namespace streamgate {
namespace spool {

inline constexpr char kSegmentHeader[] = "SGSPOOL1";
inline constexpr size_t kSegmentHeaderBytes = 8;
inline constexpr uint32_t kFrameMagic = 0x1D9C5EA7;
inline constexpr size_t kFrameHeaderBytes = 12;
// Larger than any record the gateway accepts (limits.max_record_bytes is at
// most 10 MiB); a longer length field is damage, not data.
inline constexpr uint32_t kMaxFramePayload = 64u << 20;

// Bytes a record takes on disk.
inline size_t FrameBytes(size_t key_bytes, size_t data_bytes) {
  return kFrameHeaderBytes + 4 + key_bytes + data_bytes;
}

// Appends one framed record to `out`.
void AppendFrame(std::string& out, absl::string_view key,
                 absl::string_view data);

struct FrameView {
  absl::string_view key;
  absl::string_view data;
  size_t size = 0;  // whole frame, header included
};

enum class FrameParse {
  kOk,
  kIncomplete,  // a plausible beginning of a frame, cut short
  kInvalid,     // not a frame (bad magic, length or CRC)
};

// Parses the frame at the start of `buf`; on kOk the views point into buf.
FrameParse ParseFrame(absl::string_view buf, FrameView* frame);

// Reads frames of one open file through a window of about `window` bytes
// (grown to hold one large frame), so memory stays bounded whatever the
// file size.
class FrameReader {
 public:
  // `file` must outlive the reader.
  FrameReader(const ReadableFile* file, uint64_t end,
              size_t window = 256 << 10);

  // Bytes at or after `end` are never read (a segment still being appended
  // moves its end forward).
  void set_end(uint64_t end) { end_ = end; }
  uint64_t end() const { return end_; }

  // The frame starting at `off`. Views stay valid until the next call.
  absl::StatusOr<FrameParse> ReadAt(uint64_t off, FrameView* frame);

  // The first offset after `off` where a valid frame starts, or end().
  absl::StatusOr<uint64_t> Resync(uint64_t off);

 private:
  // Up to `n` bytes from `off` (fewer only at end()).
  absl::StatusOr<absl::string_view> Ensure(uint64_t off, size_t n);

  const ReadableFile* const file_;
  uint64_t end_;
  const size_t window_;
  std::string buf_;
  uint64_t buf_off_ = 0;
};

struct Region {
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct SegmentScan {
  uint64_t records = 0;         // valid frames from the scan start
  uint64_t valid_end = 0;       // end of the last valid frame
  std::vector<Region> damaged;  // skipped regions before valid_end
  uint64_t torn_bytes = 0;      // bytes after valid_end that hold no frame
};

// Classifies [from, file_size) of a segment: every frame that checks out,
// the damaged regions between them, and the torn tail after the last one
// (which the caller cuts).
absl::StatusOr<SegmentScan> ScanSegment(const ReadableFile& file,
                                        uint64_t from, uint64_t file_size);

}  // namespace spool
}  // namespace streamgate
