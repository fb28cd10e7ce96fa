// The sink line format (sinks/file/json_line.h):
// {"module":ID,"partitionKey":KEY,"data":BASE64}\n with standard padded
// base64 of the exact record bytes (the encoder itself is tested with
// gateway/common/json_text). Expected text written out by hand.
#include "sinks/file/json_line.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace streamgate {
namespace {

OutRecord Rec(const std::string& data, const std::string& key) {
  return OutRecord{std::make_shared<const std::string>(data), key};
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
