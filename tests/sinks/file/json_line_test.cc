// The sink line format (sinks/file/json_line.h):
// {"module":ID,"partitionKey":KEY,"data":BASE64}\n with standard padded
// base64 of the exact record bytes. Expected text written out by hand.
#include "sinks/file/json_line.h"

#include <memory>
#include <string>

#include "gateway/common/json_text.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

std::string B64(const std::string& data) {
  std::string out;
  AppendBase64(out, data);
  return out;
}

OutRecord Rec(const std::string& data, const std::string& key) {
  return OutRecord{std::make_shared<const std::string>(data), key};
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

TEST(AppendBase64Test, Appends) {
  std::string out = "x";
  AppendBase64(out, "foo");
  EXPECT_EQ(out, "xZm9v");
}

TEST(AppendJsonLineTest, ExactLine) {
  std::string out;
  AppendJsonLine(out, "archive", Rec("hello", "42"));
  EXPECT_EQ(out, "{\"module\":\"archive\",\"partitionKey\":\"42\",\"data\":\"aGVsbG8=\"}\n");
}

TEST(AppendJsonLineTest, EmptyRecord) {
  std::string out;
  AppendJsonLine(out, "m", Rec("", "7"));
  EXPECT_EQ(out, "{\"module\":\"m\",\"partitionKey\":\"7\",\"data\":\"\"}\n");
}

TEST(AppendJsonLineTest, EventJsonIsBase64NotEmbedded) {
  std::string out;
  AppendJsonLine(out, "m", Rec("{\"a\":1}", "e3b0c442-98fc-4c14-9afb-f4c8996fb924"));
  EXPECT_EQ(out,
            "{\"module\":\"m\",\"partitionKey\":\"e3b0c442-98fc-4c14-9afb-f4c8996fb924\","
            "\"data\":\"eyJhIjoxfQ==\"}\n");
}

TEST(AppendJsonLineTest, LinesAppendOneAfterAnother) {
  std::string out;
  AppendJsonLine(out, "m", Rec("f", "1"));
  AppendJsonLine(out, "m", Rec(std::string("\x00\xff\x10\x80", 4), "2"));
  EXPECT_EQ(out,
            "{\"module\":\"m\",\"partitionKey\":\"1\",\"data\":\"Zg==\"}\n"
            "{\"module\":\"m\",\"partitionKey\":\"2\",\"data\":\"AP8QgA==\"}\n");
}

}  // namespace
}  // namespace streamgate
