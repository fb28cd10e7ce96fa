#include "gateway/common/json_text.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace streamgate {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Days since 1970-01-01 to civil date (Howard Hinnant's algorithm): much
// cheaper than a time-zone lookup on every event.
void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
}

void AppendDigits(std::string& out, uint64_t v, int width) {
  char buf[20];
  for (int i = width - 1; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, width);
}

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;

}  // namespace

void AppendJsonString(std::string& out, absl::string_view s) {
  out.push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out.append(esc, 6);
      }
    }
  }
  out.append(s.data() + run_start, s.size() - run_start);
  out.push_back('"');
}

namespace {

constexpr char kBase64Chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// kBase64Pairs.pairs[v] holds the two base64 characters of the 12-bit value v.
struct Base64Pairs {
  char pairs[4096][2];
  constexpr Base64Pairs() : pairs() {
    for (int v = 0; v < 4096; ++v) {
      pairs[v][0] = kBase64Chars[v >> 6];
      pairs[v][1] = kBase64Chars[v & 63];
    }
  }
};
constexpr Base64Pairs kBase64Pairs;

}  // namespace

void AppendBase64(std::string& out, absl::string_view data) {
  const size_t old = out.size();
  out.resize(old + 4 * ((data.size() + 2) / 3));
  char* o = &out[old];
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  for (; n >= 3; n -= 3, in += 3, o += 4) {
    const uint32_t v = (uint32_t{in[0]} << 16) | (uint32_t{in[1]} << 8) | in[2];
    std::memcpy(o, kBase64Pairs.pairs[v >> 12], 2);
    std::memcpy(o + 2, kBase64Pairs.pairs[v & 0xfff], 2);
  }
  if (n > 0) {
    const uint32_t v = (uint32_t{in[0]} << 16) | (n == 2 ? uint32_t{in[1]} << 8 : 0);
    o[0] = kBase64Chars[v >> 18];
    o[1] = kBase64Chars[(v >> 12) & 63];
    o[2] = n == 2 ? kBase64Chars[(v >> 6) & 63] : '=';
    o[3] = '=';
  }
}

void AppendInt(std::string& out, int64_t value) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, res.ptr);
}

void AppendJsNumber(std::string& out, double value) {
  if (value == 0) {  // also -0
    out.push_back('0');
    return;
  }
  // Exact integers below 2^53 are the common case: print them directly.
  if (value > -9007199254740992.0 && value < 9007199254740992.0 &&
      value == static_cast<double>(static_cast<int64_t>(value))) {
    AppendInt(out, static_cast<int64_t>(value));
    return;
  }
  if (value < 0) {
    out.push_back('-');
    value = -value;
  }
  // Shortest round-trip digits in scientific form: "d.ddde±XX".
  char sci[40];
  auto res = std::to_chars(sci, sci + sizeof sci, value,
                           std::chars_format::scientific);
  absl::string_view text(sci, res.ptr - sci);
  const size_t epos = text.find('e');
  char digits[24];
  int k = 0;
  for (size_t i = 0; i < epos; ++i) {
    if (text[i] != '.') digits[k++] = text[i];
  }
  const int exp10 = std::atoi(std::string(text.substr(epos + 1)).c_str());
  const int n = exp10 + 1;  // value = 0.digits × 10^n
  if (k <= n && n <= 21) {
    out.append(digits, k);
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, n);
    out.push_back('.');
    out.append(digits + n, k - n);
  } else if (-6 < n && n <= 0) {
    out.append("0.");
    out.append(static_cast<size_t>(-n), '0');
    out.append(digits, k);
  } else {
    out.push_back(digits[0]);
    if (k > 1) {
      out.push_back('.');
      out.append(digits + 1, k - 1);
    }
    out.push_back('e');
    out.push_back(n - 1 >= 0 ? '+' : '-');
    AppendInt(out, std::abs(n - 1));
  }
}

bool IsRenderableTime(absl::Time t) {
  const int64_t secs = absl::ToUnixSeconds(t);
  return t >= absl::FromUnixSeconds(kMinSeconds) && secs <= kMaxSeconds;
}

void AppendRfc3339(std::string& out, absl::Time t) {
  // ToUnixSeconds rounds toward the infinite past, so the rest is >= 0.
  const int64_t secs = absl::ToUnixSeconds(t);
  const int64_t nanos =
      absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(secs));
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  out.push_back('"');
  AppendDigits(out, static_cast<uint64_t>(y), 4);
  out.push_back('-');
  AppendDigits(out, m, 2);
  out.push_back('-');
  AppendDigits(out, d, 2);
  out.push_back('T');
  AppendDigits(out, static_cast<uint64_t>(sod / 3600), 2);
  out.push_back(':');
  AppendDigits(out, static_cast<uint64_t>(sod / 60 % 60), 2);
  out.push_back(':');
  AppendDigits(out, static_cast<uint64_t>(sod % 60), 2);
  if (nanos != 0) {
    out.push_back('.');
    if (nanos % 1000000 == 0) {
      AppendDigits(out, static_cast<uint64_t>(nanos / 1000000), 3);
    } else if (nanos % 1000 == 0) {
      AppendDigits(out, static_cast<uint64_t>(nanos / 1000), 6);
    } else {
      AppendDigits(out, static_cast<uint64_t>(nanos), 9);
    }
  }
  out.append("Z\"");
}

}  // namespace streamgate
