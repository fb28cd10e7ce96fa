#include "gateway/spool/segment_format.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "gateway/spool/crc32c.h"

namespace streamgate {
namespace spool {
namespace {

void PutU32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8),
               static_cast<char>(v >> 16), static_cast<char>(v >> 24)};
  out.append(b, 4);
}

uint32_t GetU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(u[0]) | static_cast<uint32_t>(u[1]) << 8 |
         static_cast<uint32_t>(u[2]) << 16 | static_cast<uint32_t>(u[3]) << 24;
}

}  // namespace

void AppendFrame(std::string& out, absl::string_view key,
                 absl::string_view data) {
  const uint32_t len = static_cast<uint32_t>(4 + key.size() + data.size());
  const size_t start = out.size();
  PutU32(out, kFrameMagic);
  PutU32(out, len);
  PutU32(out, 0);  // CRC, filled below
  PutU32(out, static_cast<uint32_t>(key.size()));
  out.append(key.data(), key.size());
  out.append(data.data(), data.size());
  uint32_t crc = Crc32c(out.data() + start + 4, 4);
  crc = Crc32cExtend(crc, out.data() + start + kFrameHeaderBytes, len);
  char* c = &out[start + 8];
  c[0] = static_cast<char>(crc);
  c[1] = static_cast<char>(crc >> 8);
  c[2] = static_cast<char>(crc >> 16);
  c[3] = static_cast<char>(crc >> 24);
}

FrameParse ParseFrame(absl::string_view buf, FrameView* frame) {
  char magic[4];
  for (int i = 0; i < 4; ++i) magic[i] = static_cast<char>(kFrameMagic >> (8 * i));
  const size_t have_magic = std::min<size_t>(buf.size(), 4);
  if (std::memcmp(buf.data(), magic, have_magic) != 0) return FrameParse::kInvalid;
  if (buf.size() < kFrameHeaderBytes) return FrameParse::kIncomplete;
  const uint32_t len = GetU32(buf.data() + 4);
  if (len < 4 || len > kMaxFramePayload) return FrameParse::kInvalid;
  if (buf.size() < kFrameHeaderBytes + len) return FrameParse::kIncomplete;
  const char* payload = buf.data() + kFrameHeaderBytes;
  uint32_t crc = Crc32c(buf.data() + 4, 4);
  crc = Crc32cExtend(crc, payload, len);
  if (crc != GetU32(buf.data() + 8)) return FrameParse::kInvalid;
  const uint32_t key_len = GetU32(payload);
  if (key_len > len - 4) return FrameParse::kInvalid;
  frame->key = absl::string_view(payload + 4, key_len);
  frame->data = absl::string_view(payload + 4 + key_len, len - 4 - key_len);
  frame->size = kFrameHeaderBytes + len;
  return FrameParse::kOk;
}

FrameReader::FrameReader(const ReadableFile* file, uint64_t end,
                         size_t window)
    : file_(file), end_(end), window_(window) {}

absl::StatusOr<absl::string_view> FrameReader::Ensure(uint64_t off, size_t n) {
  if (off >= end_) return absl::string_view();
  n = static_cast<size_t>(std::min<uint64_t>(n, end_ - off));
  if (off >= buf_off_ && off + n <= buf_off_ + buf_.size()) {
    return absl::string_view(buf_.data() + (off - buf_off_), n);
  }
  const size_t want =
      static_cast<size_t>(std::min<uint64_t>(std::max(n, window_), end_ - off));
  buf_.resize(want);
  auto read = file_->Read(off, want, &buf_[0]);
  if (!read.ok()) {
    buf_.clear();
    return absl::InternalError(
        absl::StrCat("read at offset ", off, ": ", read.status().message()));
  }
  // A file shorter than we were told: its end counts as the end.
  const size_t got = *read;
  buf_.resize(got);
  buf_off_ = off;
  return absl::string_view(buf_.data(), std::min(n, got));
}

absl::StatusOr<FrameParse> FrameReader::ReadAt(uint64_t off, FrameView* frame) {
  auto head = Ensure(off, kFrameHeaderBytes);
  if (!head.ok()) return head.status();
  if (head->size() < kFrameHeaderBytes) return ParseFrame(*head, frame);
  const uint32_t len = GetU32(head->data() + 4);
  if (len > kMaxFramePayload) return FrameParse::kInvalid;
  auto whole = Ensure(off, kFrameHeaderBytes + len);
  if (!whole.ok()) return whole.status();
  return ParseFrame(*whole, frame);
}

absl::StatusOr<uint64_t> FrameReader::Resync(uint64_t off) {
  char magic[4];
  for (int i = 0; i < 4; ++i) magic[i] = static_cast<char>(kFrameMagic >> (8 * i));
  uint64_t p = off + 1;
  while (p + kFrameHeaderBytes <= end_) {
    auto v = Ensure(p, window_);
    if (!v.ok()) return v.status();
    const absl::string_view s = *v;
    const size_t i = s.find(absl::string_view(magic, 4));
    if (i == absl::string_view::npos) {
      // The last 3 bytes may begin a magic that continues past the window.
      p += s.size() > 3 ? s.size() - 3 : 1;
      continue;
    }
    const uint64_t candidate = p + i;
    FrameView f;
    auto r = ReadAt(candidate, &f);
    if (!r.ok()) return r.status();
    if (*r == FrameParse::kOk) return candidate;
    p = candidate + 1;
  }
  return end_;
}

absl::StatusOr<SegmentScan> ScanSegment(const ReadableFile& file,
                                        uint64_t from, uint64_t file_size) {
  SegmentScan scan;
  FrameReader reader(&file, file_size, 1 << 20);
  uint64_t off = from;
  while (off < file_size) {
    FrameView f;
    auto r = reader.ReadAt(off, &f);
    if (!r.ok()) return r.status();
    if (*r == FrameParse::kOk) {
      ++scan.records;
      off += f.size;
      continue;
    }
    auto next = reader.Resync(off);
    if (!next.ok()) return next.status();
    if (*next >= file_size) {
      scan.torn_bytes = file_size - off;
      break;
    }
    scan.damaged.push_back(Region{off, *next});
    off = *next;
  }
  scan.valid_end = off;
  return scan;
}

}  // namespace spool
}  // namespace streamgate
