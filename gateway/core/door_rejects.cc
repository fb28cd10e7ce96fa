#include "gateway/core/door_rejects.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "gateway/common/json_text.h"

namespace streamgate {
namespace {

constexpr size_t kMaxTextBytes = 1024;

// Length of the valid UTF-8 sequence at s[i], or 0 when it is not one.
size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n;
  unsigned min;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  unsigned cp = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// AppendJsonString needs valid UTF-8; reasons and topics may quote input.
void AppendText(std::string& out, absl::string_view s) {
  s = s.substr(0, kMaxTextBytes);
  std::string clean;
  clean.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      clean.append("\xEF\xBF\xBD");
      ++i;
    } else {
      clean.append(s.data() + i, n);
      i += n;
    }
  }
  AppendJsonString(out, clean);
}

}  // namespace

std::string FormatDoorReject(const DoorReject& r, absl::Time now,
                             size_t max_line_bytes) {
  std::string line;
  line.append("{\"time\":");
  AppendRfc3339(line, now);
  line.append(",\"source\":");
  AppendText(line, r.source);
  line.append(",\"reason\":");
  AppendText(line, r.reason);
  if (!r.topic.empty()) {
    line.append(",\"topic\":");
    AppendText(line, r.topic);
  }
  if (!r.rpc.empty()) {
    line.append(",\"rpc\":");
    AppendText(line, r.rpc);
  }
  if (r.device) {
    line.append(",\"device\":");
    AppendInt(line, *r.device);
  }
  line.append(",\"bytes\":");
  AppendInt(line, static_cast<int64_t>(r.data.size()));
  line.append(",\"data\":\"");
  // Room left for the base64 text, the closing `"}` and `,"truncated":true`.
  constexpr absl::string_view kTruncated = ",\"truncated\":true";
  const size_t fixed = line.size() + 2;
  size_t raw = r.data.size();
  if (fixed + (raw + 2) / 3 * 4 > max_line_bytes) {
    const size_t room =
        max_line_bytes > fixed + kTruncated.size()
            ? max_line_bytes - fixed - kTruncated.size()
            : 0;
    raw = std::min(raw, room / 4 * 3);
  }
  AppendBase64(line, r.data.substr(0, raw));
  line.append("\"");
  if (raw < r.data.size()) line.append(kTruncated.data(), kTruncated.size());
  line.append("}");
  return line;
}

void DoorDeadLetters::Rejected(const DoorReject& reject) {
  (reject.source == "mqtt" ? counters_.mqtt : counters_.grpc)
      .fetch_add(1, std::memory_order_relaxed);
  if (file_ == nullptr) return;
  std::string line =
      FormatDoorReject(reject, absl::Now(), file_->max_line_bytes());
  if (absl::EndsWith(line, ",\"truncated\":true}")) {
    counters_.truncated.fetch_add(1, std::memory_order_relaxed);
  }
  file_->Append(line);
}

}  // namespace streamgate
