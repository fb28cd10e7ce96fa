// JSON text fragments (gateway/common/json_text.h): strings escaped as
// JSON.stringify does, numbers as ECMAScript Number::toString, RFC 3339 UTC
// timestamps, and the one base64 encoder (the file sink's lines, Kinesis
// requests, dead letters, streamgate-tail). Expected texts are written out
// by hand, or come from Abseil's independent encoder.
#include "gateway/common/json_text.h"

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

std::string Str(absl::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

std::string Num(double d) {
  std::string out;
  AppendJsNumber(out, d);
  return out;
}

std::string Time(absl::Time t) {
  std::string out;
  AppendRfc3339(out, t);
  return out;
}

TEST(AppendJsonStringTest, PlainAsciiIsQuotedOnly) {
  EXPECT_EQ(Str(""), "\"\"");
  EXPECT_EQ(Str("alarm"), "\"alarm\"");
  EXPECT_EQ(Str("a b ~ \x7f"), "\"a b ~ \x7f\"");  // DEL is not escaped
}

TEST(AppendJsonStringTest, QuoteAndBackslashAreEscaped) {
  EXPECT_EQ(Str("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(Str("C:\\dir\\"), R"("C:\\dir\\")");
  EXPECT_EQ(Str("\\\""), R"("\\\"")");
}

TEST(AppendJsonStringTest, ShortControlEscapes) {
  EXPECT_EQ(Str("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(Str("a\nb"), R"("a\nb")");
}

TEST(AppendJsonStringTest, OtherControlsUseLowerCaseUnicodeEscapes) {
  EXPECT_EQ(Str("\x01"), R"("\u0001")");
  EXPECT_EQ(Str("\x1f"), R"("\u001f")");
  EXPECT_EQ(Str("\x0b"), R"("\u000b")");
  EXPECT_EQ(Str("\x1a"), R"("\u001a")");
  EXPECT_EQ(Str(std::string("a\0b", 3)), R"("a\u0000b")");
  EXPECT_EQ(Str("\x1f\x20"), "\"\\u001f \"");  // 0x20 itself is plain
}

TEST(AppendJsonStringTest, SlashIsNotEscaped) {
  EXPECT_EQ(Str("a/b</script>"), "\"a/b</script>\"");
}

TEST(AppendJsonStringTest, MultiByteUtf8PassesRaw) {
  EXPECT_EQ(Str("caf\xc3\xa9"), "\"caf\xc3\xa9\"");            // é
  EXPECT_EQ(Str("\xe6\x97\xa5\xe6\x9c\xac"), "\"\xe6\x97\xa5\xe6\x9c\xac\"");
  EXPECT_EQ(Str("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");  // 😀
  // U+2028 / U+2029 are valid in JSON text and JSON.stringify keeps them.
  EXPECT_EQ(Str("a\xe2\x80\xa8" "b\xe2\x80\xa9"), "\"a\xe2\x80\xa8" "b\xe2\x80\xa9\"");
}

TEST(AppendJsonStringTest, AppendsWithoutClearing) {
  std::string out = "x=";
  AppendJsonString(out, "\"");
  EXPECT_EQ(out, "x=\"\\\"\"");
}

TEST(AppendJsNumberTest, Integers) {
  EXPECT_EQ(Num(0), "0");
  EXPECT_EQ(Num(1), "1");
  EXPECT_EQ(Num(21), "21");
  EXPECT_EQ(Num(-1), "-1");
  EXPECT_EQ(Num(-42), "-42");
  EXPECT_EQ(Num(100), "100");
  EXPECT_EQ(Num(1e20), "100000000000000000000");
  EXPECT_EQ(Num(123e18), "123000000000000000000");
}

TEST(AppendJsNumberTest, NegativeZeroIsZero) {
  EXPECT_EQ(Num(-0.0), "0");
  EXPECT_TRUE(std::signbit(-0.0));
}

TEST(AppendJsNumberTest, Fractions) {
  EXPECT_EQ(Num(0.5), "0.5");
  EXPECT_EQ(Num(-0.5), "-0.5");
  EXPECT_EQ(Num(0.1), "0.1");
  EXPECT_EQ(Num(0.25), "0.25");
  EXPECT_EQ(Num(1.5), "1.5");
  EXPECT_EQ(Num(123.456), "123.456");
  EXPECT_EQ(Num(-273.15), "-273.15");
  EXPECT_EQ(Num(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(Num(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(Num(4.35), "4.35");
}

TEST(AppendJsNumberTest, ExponentThresholds) {
  EXPECT_EQ(Num(1e21), "1e+21");
  EXPECT_EQ(Num(-1e21), "-1e+21");
  EXPECT_EQ(Num(1.5e21), "1.5e+21");
  EXPECT_EQ(Num(1e-6), "0.000001");
  EXPECT_EQ(Num(0.000001234), "0.000001234");
  EXPECT_EQ(Num(1e-7), "1e-7");
  EXPECT_EQ(Num(-1e-7), "-1e-7");
  EXPECT_EQ(Num(1.5e-7), "1.5e-7");
  EXPECT_EQ(Num(1.2345678901234567e-5), "0.000012345678901234568");
}

TEST(AppendJsNumberTest, Extremes) {
  EXPECT_EQ(Num(5e-324), "5e-324");
  EXPECT_EQ(Num(std::numeric_limits<double>::denorm_min()), "5e-324");
  EXPECT_EQ(Num(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(Num(-1.7976931348623157e308), "-1.7976931348623157e+308");
  EXPECT_EQ(Num(2.2250738585072014e-308), "2.2250738585072014e-308");
}

TEST(AppendJsNumberTest, IntegersAroundAndPast2To53) {
  EXPECT_EQ(Num(9007199254740991.0), "9007199254740991");   // 2^53 - 1
  EXPECT_EQ(Num(-9007199254740991.0), "-9007199254740991");
  EXPECT_EQ(Num(9007199254740992.0), "9007199254740992");   // 2^53
  EXPECT_EQ(Num(9007199254740994.0), "9007199254740994");   // 2^53 + 2
  EXPECT_EQ(Num(-9007199254740994.0), "-9007199254740994");
  EXPECT_EQ(Num(18446744073709551616.0), "18446744073709552000");  // 2^64
  EXPECT_EQ(Num(9223372036854775808.0), "9223372036854776000");    // 2^63
  EXPECT_EQ(Num(123456789012345680000.0), "123456789012345680000");
}

TEST(AppendIntTest, Decimal) {
  std::string out;
  AppendInt(out, 0);
  out.push_back(' ');
  AppendInt(out, -7);
  out.push_back(' ');
  AppendInt(out, std::numeric_limits<int64_t>::max());
  out.push_back(' ');
  AppendInt(out, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(out, "0 -7 9223372036854775807 -9223372036854775808");
}

TEST(AppendRfc3339Test, WholeSecondsHaveNoFraction) {
  EXPECT_EQ(Time(absl::UnixEpoch()), "\"1970-01-01T00:00:00Z\"");
  EXPECT_EQ(Time(absl::FromUnixSeconds(1700000000)), "\"2023-11-14T22:13:20Z\"");
  EXPECT_EQ(Time(absl::FromUnixSeconds(951782400)), "\"2000-02-29T00:00:00Z\"");
}

TEST(AppendRfc3339Test, FewestExactFractionDigits) {
  const absl::Time base = absl::FromUnixSeconds(1700000000);
  EXPECT_EQ(Time(base + absl::Milliseconds(123)), "\"2023-11-14T22:13:20.123Z\"");
  EXPECT_EQ(Time(base + absl::Milliseconds(100)), "\"2023-11-14T22:13:20.100Z\"");
  EXPECT_EQ(Time(base + absl::Milliseconds(1)), "\"2023-11-14T22:13:20.001Z\"");
  EXPECT_EQ(Time(base + absl::Microseconds(123456)),
            "\"2023-11-14T22:13:20.123456Z\"");
  EXPECT_EQ(Time(base + absl::Microseconds(1)), "\"2023-11-14T22:13:20.000001Z\"");
  EXPECT_EQ(Time(base + absl::Nanoseconds(123456789)),
            "\"2023-11-14T22:13:20.123456789Z\"");
  EXPECT_EQ(Time(base + absl::Nanoseconds(1)),
            "\"2023-11-14T22:13:20.000000001Z\"");
  EXPECT_EQ(Time(base + absl::Nanoseconds(999999999)),
            "\"2023-11-14T22:13:20.999999999Z\"");
}

TEST(AppendRfc3339Test, BeforeTheEpoch) {
  EXPECT_EQ(Time(absl::FromUnixSeconds(-1)), "\"1969-12-31T23:59:59Z\"");
  EXPECT_EQ(Time(absl::FromUnixNanos(-1)), "\"1969-12-31T23:59:59.999999999Z\"");
  EXPECT_EQ(Time(absl::FromUnixMillis(-1500)), "\"1969-12-31T23:59:58.500Z\"");
  EXPECT_EQ(Time(absl::FromUnixSeconds(-31536000)), "\"1969-01-01T00:00:00Z\"");
  EXPECT_EQ(Time(absl::FromUnixSeconds(-2208988800)), "\"1900-01-01T00:00:00Z\"");
}

TEST(AppendRfc3339Test, FirstAndLastRenderableYears) {
  const absl::Time first = absl::FromUnixSeconds(-62135596800);
  const absl::Time last = absl::FromUnixSeconds(253402300799);
  EXPECT_EQ(Time(first), "\"0001-01-01T00:00:00Z\"");
  EXPECT_EQ(Time(last), "\"9999-12-31T23:59:59Z\"");
  EXPECT_EQ(Time(last + absl::Nanoseconds(999999999)),
            "\"9999-12-31T23:59:59.999999999Z\"");
  EXPECT_TRUE(IsRenderableTime(first));
  EXPECT_TRUE(IsRenderableTime(last + absl::Nanoseconds(999999999)));
  EXPECT_FALSE(IsRenderableTime(first - absl::Nanoseconds(1)));
  EXPECT_FALSE(IsRenderableTime(last + absl::Seconds(1)));
  EXPECT_FALSE(IsRenderableTime(absl::InfiniteFuture()));
  EXPECT_FALSE(IsRenderableTime(absl::InfinitePast()));
}

std::string B64(absl::string_view data) {
  std::string out;
  AppendBase64(out, data);
  return out;
}

TEST(AppendBase64Test, Rfc4648Vectors) {
  EXPECT_EQ(B64(""), "");
  EXPECT_EQ(B64("f"), "Zg==");
  EXPECT_EQ(B64("fo"), "Zm8=");
  EXPECT_EQ(B64("foo"), "Zm9v");
  EXPECT_EQ(B64("foob"), "Zm9vYg==");
  EXPECT_EQ(B64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(B64("foobar"), "Zm9vYmFy");
}

TEST(AppendBase64Test, BinaryUsesTheStandardAlphabet) {
  EXPECT_EQ(B64(std::string("\x00\xff\x10\x80", 4)), "AP8QgA==");
  EXPECT_EQ(B64(std::string("\x00", 1)), "AA==");
  EXPECT_EQ(B64("\xff\xff\xff"), "////");
  EXPECT_EQ(B64("\xfb\xff"), "+/8=");
}

TEST(AppendBase64Test, LongInputHasNoLineBreaks) {
  const std::string out = B64(std::string(300, 'a'));
  EXPECT_EQ(out.size(), 400u);
  EXPECT_EQ(out.find('\n'), std::string::npos);
  EXPECT_EQ(out.substr(0, 8), "YWFhYWFh");
}

TEST(AppendBase64Test, AppendsWithoutClearing) {
  std::string out = "prefix:";
  AppendBase64(out, "foo");
  EXPECT_EQ(out, "prefix:Zm9v");
}

TEST(AppendBase64Test, MatchesAbseilOnBinaryOfEveryLength) {
  std::mt19937 rng(7);
  for (size_t len = 0; len < 700; ++len) {
    std::string data(len, '\0');
    for (char& c : data) c = static_cast<char>(rng() & 0xff);
    EXPECT_EQ(B64(data), absl::Base64Escape(data)) << "length " << len;
  }
  // Every 12-bit pair value, both positions of a group.
  std::string all;
  for (int v = 0; v < 4096; ++v) {
    all.push_back(static_cast<char>(v >> 4));
    all.push_back(static_cast<char>(((v & 15) << 4) | (v >> 8)));
    all.push_back(static_cast<char>(v & 0xff));
  }
  EXPECT_EQ(B64(all), absl::Base64Escape(all));
}

}  // namespace
}  // namespace streamgate
