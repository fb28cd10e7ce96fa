#include "bench/kinesis_null/record_scanner.h"

#include <cstring>

#include "sinks/kinesis/aggregation/deaggregator.h"

namespace streamgate::bench {
namespace {

constexpr std::string_view kDataKey = "\"Data\":\"";
constexpr std::string_view kTimestampKey = "\"timestamp\":\"";
// The base64 of the KPL magic F3 89 9A C2 starts with these five letters.
constexpr std::string_view kKplMagicBase64 = "84maw";

const char* Find(const char* begin, const char* end, std::string_view needle) {
  void* p = memmem(begin, static_cast<size_t>(end - begin), needle.data(),
                   needle.size());
  return static_cast<const char*>(p);
}

int8_t Base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return static_cast<int8_t>(c - 'A');
  if (c >= 'a' && c <= 'z') return static_cast<int8_t>(c - 'a' + 26);
  if (c >= '0' && c <= '9') return static_cast<int8_t>(c - '0' + 52);
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool Digits(std::string_view s, size_t pos, size_t n, int64_t& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

bool RecordScanner::Base64Decode(std::string_view in, std::string& out) {
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    if (c == '=') break;
    const int8_t v = Base64Value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

std::optional<int64_t> RecordScanner::ParseRfc3339Utc(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z
  int64_t y, mo, d, h, mi, sec;
  if (s.size() < 20 || !Digits(s, 0, 4, y) || s[4] != '-' || !Digits(s, 5, 2, mo) ||
      s[7] != '-' || !Digits(s, 8, 2, d) || s[10] != 'T' || !Digits(s, 11, 2, h) ||
      s[13] != ':' || !Digits(s, 14, 2, mi) || s[16] != ':' || !Digits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && digits < 9) {
      nanos = nanos * 10 + (s[pos] - '0');
      ++pos;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 9; ++digits) nanos *= 10;
  }
  if (pos + 1 != s.size() || s[pos] != 'Z') return std::nullopt;
  const int64_t days = DaysFromCivil(y, mo, d);
  return ((days * 24 + h) * 60 + mi) * 60 * 1000000000LL + sec * 1000000000LL + nanos;
}

void RecordScanner::Sample(std::string_view base64_data, int64_t arrival_unix_nanos) {
  if (!Base64Decode(base64_data, scratch_)) {
    ++unstamped_;
    return;
  }
  const char* begin = scratch_.data();
  const char* end = begin + scratch_.size();
  const char* key = Find(begin, end, kTimestampKey);
  if (key == nullptr) {
    ++unstamped_;
    return;
  }
  const char* value = key + kTimestampKey.size();
  const char* quote = static_cast<const char*>(
      std::memchr(value, '"', static_cast<size_t>(end - value)));
  if (quote == nullptr) {
    ++unstamped_;
    return;
  }
  std::optional<int64_t> stamped =
      ParseRfc3339Utc(std::string_view(value, static_cast<size_t>(quote - value)));
  if (!stamped) {
    ++unstamped_;
    return;
  }
  const int64_t latency = arrival_unix_nanos - *stamped;
  latency_.Record(latency > 0 ? latency : 0);
}

int64_t RecordScanner::CountUsers(std::string_view base64_data) {
  if (base64_data.substr(0, kKplMagicBase64.size()) != kKplMagicBase64 ||
      !Base64Decode(base64_data, aggregate_)) {
    return 1;
  }
  auto users = streamgate::kinesis::Deaggregate(aggregate_);
  return users.ok() ? static_cast<int64_t>(users->size()) : 1;
}

int64_t RecordScanner::Scan(std::string_view body, int64_t arrival_unix_nanos) {
  int64_t records = 0;
  const char* p = body.data();
  const char* end = body.data() + body.size();
  while ((p = Find(p, end, kDataKey)) != nullptr) {
    p += kDataKey.size();
    ++records;
    ++seen_;
    if (static_cast<size_t>(end - p) >= kKplMagicBase64.size() &&
        std::string_view(p, kKplMagicBase64.size()) == kKplMagicBase64) {
      const char* quote =
          static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
      if (quote == nullptr) break;
      user_records_ += CountUsers(std::string_view(p, static_cast<size_t>(quote - p)));
    } else {
      ++user_records_;
    }
    if (sample_every_ > 0 && seen_ % sample_every_ == 0) {
      const char* quote =
          static_cast<const char*>(std::memchr(p, '"', static_cast<size_t>(end - p)));
      if (quote == nullptr) break;
      Sample(std::string_view(p, static_cast<size_t>(quote - p)), arrival_unix_nanos);
      p = quote;
    }
  }
  return records;
}

}  // namespace streamgate::bench
