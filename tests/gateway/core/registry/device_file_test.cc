// The devices-file parsers: every accepted form (quotes, CRLF, BOM, blank
// lines, optional class) and every refused line, named by file and line.
#include "gateway/core/registry/device_file.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct Loaded {
  absl::Status status;
  std::shared_ptr<const DeviceTable> table;
};

Loaded Read(const std::string& text, DeviceFileFormat format) {
  std::istringstream in(text);
  DeviceTableBuilder b;
  Loaded out;
  out.status = ReadDevices(in, format, "d.txt", b);
  if (!out.status.ok()) return out;
  auto t = std::move(b).Build();
  out.status = t.status();
  if (t.ok()) out.table = *t;
  return out;
}

Loaded Csv(const std::string& text) {
  return Read(text, DeviceFileFormat::kCsv);
}
Loaded Json(const std::string& text) {
  return Read(text, DeviceFileFormat::kJsonLines);
}
std::string CsvError(const std::string& text) {
  return std::string(Csv(text).status.message());
}
std::string JsonError(const std::string& text) {
  return std::string(Json(text).status.message());
}

constexpr char kHeader[] = "id,home_id,class\n";

// --- CSV: accepted ----------------------------------------------------------

TEST(DeviceCsvTest, ReadsRowsWithAndWithoutClass) {
  Loaded l = Csv(std::string(kHeader) + "42,7,thermostat\n43,8,\n");
  ASSERT_TRUE(l.status.ok()) << l.status;
  ASSERT_EQ(l.table->size(), 2u);
  EXPECT_EQ(l.table->Find(42)->home_id, 7);
  EXPECT_EQ(l.table->Find(42)->device_class, "thermostat");
  EXPECT_EQ(l.table->Find(43)->home_id, 8);
  EXPECT_EQ(l.table->Find(43)->device_class, "");
  EXPECT_FALSE(l.table->Find(44).has_value());
}

TEST(DeviceCsvTest, QuotedFieldsAreUnquoted) {
  Loaded l = Csv(std::string(kHeader) +
                 "\"1\",\"2\",\"a, b\"\n3,4,\"say \"\"hi\"\"\"\n5,6,\"\"\n");
  ASSERT_TRUE(l.status.ok()) << l.status;
  EXPECT_EQ(l.table->Find(1)->home_id, 2);
  EXPECT_EQ(l.table->Find(1)->device_class, "a, b");
  EXPECT_EQ(l.table->Find(3)->device_class, "say \"hi\"");
  EXPECT_EQ(l.table->Find(5)->device_class, "");
}

TEST(DeviceCsvTest, CrlfBomBlankLinesAndNoFinalNewline) {
  Loaded l = Csv("\xEF\xBB\xBFid,home_id,class\r\n\r\n1,2,x\r\n   \n3,4,y");
  ASSERT_TRUE(l.status.ok()) << l.status;
  ASSERT_EQ(l.table->size(), 2u);
  EXPECT_EQ(l.table->Find(1)->device_class, "x");  // no CR kept
  EXPECT_EQ(l.table->Find(3)->device_class, "y");
}

TEST(DeviceCsvTest, HeaderOnlyIsAnEmptyRegistry) {
  Loaded l = Csv(kHeader);
  ASSERT_TRUE(l.status.ok());
  EXPECT_EQ(l.table->size(), 0u);
}

TEST(DeviceCsvTest, UnicodeClassIsKept) {
  Loaded l = Csv(std::string(kHeader) + "1,2,d\xC3\xA9tecteur\n");
  ASSERT_TRUE(l.status.ok()) << l.status;
  EXPECT_EQ(l.table->Find(1)->device_class, "d\xC3\xA9tecteur");
}

// --- CSV: refused, naming the file and line ----------------------------------

TEST(DeviceCsvTest, HeaderIsRequired) {
  EXPECT_EQ(CsvError(""), "d.txt: no header (id,home_id,class)");
  EXPECT_EQ(CsvError("\n\n"), "d.txt: no header (id,home_id,class)");
  EXPECT_THAT(CsvError("1,2,x\n"),
              StartsWith("d.txt line 1: the header must be id,home_id,class"));
  EXPECT_THAT(CsvError("id,home_id\n"),
              StartsWith("d.txt line 1: the header must be"));
}

TEST(DeviceCsvTest, WrongColumnCount) {
  EXPECT_EQ(CsvError(std::string(kHeader) + "1,2,x\n1,2\n"),
            "d.txt line 3: expected 3 fields (id,home_id,class), found 2");
  EXPECT_EQ(CsvError(std::string(kHeader) + "1,2,x,y\n"),
            "d.txt line 2: expected 3 fields (id,home_id,class), found 4");
  EXPECT_EQ(CsvError(std::string(kHeader) + "1\n"),
            "d.txt line 2: expected 3 fields (id,home_id,class), found 1");
}

TEST(DeviceCsvTest, BadIds) {
  const std::string h = kHeader;
  EXPECT_EQ(CsvError(h + "abc,2,x\n"),
            "d.txt line 2: id: must be a positive integer, got 'abc'");
  EXPECT_EQ(CsvError(h + "0,2,x\n"),
            "d.txt line 2: id: must be a positive integer, got '0'");
  EXPECT_EQ(CsvError(h + "-5,2,x\n"),
            "d.txt line 2: id: must be a positive integer, got '-5'");
  EXPECT_EQ(CsvError(h + "1.5,2,x\n"),
            "d.txt line 2: id: must be a positive integer, got '1.5'");
  EXPECT_EQ(CsvError(h + " 1,2,x\n"),
            "d.txt line 2: id: must be a positive integer, got ' 1'");
  EXPECT_EQ(CsvError(h + ",2,x\n"),
            "d.txt line 2: id: must be a positive integer, got ''");
  EXPECT_EQ(CsvError(h + "9223372036854775808,2,x\n"),
            "d.txt line 2: id: must be a positive integer, got "
            "'9223372036854775808'");
  EXPECT_TRUE(Csv(h + "9223372036854775807,2,x\n").status.ok());
}

TEST(DeviceCsvTest, BadHomeIds) {
  const std::string h = kHeader;
  EXPECT_EQ(CsvError(h + "1,0,x\n"),
            "d.txt line 2: home_id: must be a positive integer, got '0'");
  EXPECT_EQ(CsvError(h + "1,-1,x\n"),
            "d.txt line 2: home_id: must be a positive integer, got '-1'");
  EXPECT_EQ(CsvError(h + "1,7e3,x\n"),
            "d.txt line 2: home_id: must be a positive integer, got '7e3'");
}

TEST(DeviceCsvTest, DuplicateIdNamesBothLines) {
  EXPECT_EQ(CsvError(std::string(kHeader) + "5,1,a\n6,1,a\n5,2,b\n"),
            "device 5 is listed twice: d.txt line 2 and d.txt line 4");
}

TEST(DeviceCsvTest, BadQuoting) {
  const std::string h = kHeader;
  EXPECT_EQ(CsvError(h + "1,2,\"open\n"),
            "d.txt line 2: field 3: quote not closed");
  EXPECT_EQ(CsvError(h + "1,2,\"a\"b\n"),
            "d.txt line 2: field 3: text after the closing quote");
  EXPECT_EQ(CsvError(h + "1,2,a\"b\n"),
            "d.txt line 2: field 3: a quote inside an unquoted field");
}

TEST(DeviceCsvTest, BadClasses) {
  const std::string h = kHeader;
  EXPECT_EQ(CsvError(h + "1,2," + std::string(kMaxClassBytes + 1, 'c') + "\n"),
            "d.txt line 2: class: longer than 256 bytes");
  EXPECT_TRUE(
      Csv(h + "1,2," + std::string(kMaxClassBytes, 'c') + "\n").status.ok());
  EXPECT_EQ(CsvError(h + "1,2,\xFF\xFE\n"),
            "d.txt line 2: class: not valid UTF-8");
  EXPECT_EQ(CsvError(h + "1,2,a\tb\n"),
            "d.txt line 2: class: control characters are not allowed");
}

TEST(DeviceCsvTest, HugeLineIsRefusedWithoutReadingItWhole) {
  const std::string huge(10 << 20, 'x');  // 10 MiB, no newline
  EXPECT_EQ(CsvError(std::string(kHeader) + "1,2,a\n" + huge + "\n3,4,b\n"),
            "d.txt line 3: longer than 4096 bytes");
  EXPECT_EQ(CsvError(std::string(kHeader) + huge),
            "d.txt line 2: longer than 4096 bytes");
}

TEST(DeviceCsvTest, LineOfExactlyTheLimitIsRead) {
  // The reader passes a 4096-byte line on (its id is then refused), and a
  // CR after it does not count; 4097 bytes are too many.
  const std::string at_limit = std::string(kMaxLineBytes - 4, '0') + "1,2,";
  ASSERT_EQ(at_limit.size(), kMaxLineBytes);
  EXPECT_THAT(CsvError(std::string(kHeader) + at_limit + "\r\n"),
              StartsWith("d.txt line 2: id: must be a positive integer"));
  EXPECT_THAT(CsvError(std::string(kHeader) + at_limit),
              StartsWith("d.txt line 2: id: must be a positive integer"));
  EXPECT_EQ(CsvError(std::string(kHeader) + at_limit + "x\n"),
            "d.txt line 2: longer than 4096 bytes");
}

TEST(DeviceCsvTest, LinesAcrossReadChunksAreWhole) {
  // 20,000 rows are well over the reader's 64 KiB chunk.
  std::string text = kHeader;
  for (int i = 1; i <= 20000; ++i) {
    text += std::to_string(i) + "," + std::to_string(i * 3) + ",c" +
            std::to_string(i % 7) + "\r\n";
  }
  Loaded l = Csv(text);
  ASSERT_TRUE(l.status.ok()) << l.status;
  ASSERT_EQ(l.table->size(), 20000u);
  for (int i = 1; i <= 20000; ++i) {
    auto d = l.table->Find(i);
    ASSERT_TRUE(d.has_value()) << i;
    ASSERT_EQ(d->home_id, i * 3);
    ASSERT_EQ(d->device_class, "c" + std::to_string(i % 7));
  }
  EXPECT_EQ(l.table->class_count(), 8u);  // "" and c0..c6, interned
}

// --- JSON lines -----------------------------------------------------------

TEST(DeviceJsonLinesTest, ReadsObjectsClassOptional) {
  Loaded l = Json(
      "\xEF\xBB\xBF{\"id\":42,\"home_id\":7,\"class\":\"thermostat\"}\r\n"
      "\n"
      "{\"home_id\": 8, \"id\": 43}\n"
      "  {\"id\":44,\"home_id\":9,\"class\":\"a\\\"b\"}  ");
  ASSERT_TRUE(l.status.ok()) << l.status;
  ASSERT_EQ(l.table->size(), 3u);
  EXPECT_EQ(l.table->Find(42)->device_class, "thermostat");
  EXPECT_EQ(l.table->Find(43)->home_id, 8);
  EXPECT_EQ(l.table->Find(43)->device_class, "");
  EXPECT_EQ(l.table->Find(44)->device_class, "a\"b");
}

TEST(DeviceJsonLinesTest, NotAnObject) {
  EXPECT_THAT(JsonError("[1,2,3]\n"),
              StartsWith("d.txt line 1: must be a JSON object"));
  EXPECT_THAT(JsonError("{\"id\":1,\"home_id\":2}\n42\n"),
              StartsWith("d.txt line 2: must be a JSON object"));
  EXPECT_THAT(JsonError("{\"id\":1,\"home_id\":2\n"),
              StartsWith("d.txt line 1: not valid JSON"));
  EXPECT_THAT(JsonError("{\"id\":1,\"home_id\":2} {}\n"),
              StartsWith("d.txt line 1: not valid JSON"));
  EXPECT_THAT(JsonError("id,home_id,class\n"),
              StartsWith("d.txt line 1: not valid JSON"));
}

TEST(DeviceJsonLinesTest, MissingExtraAndRepeatedFields) {
  EXPECT_EQ(JsonError("{\"home_id\":2}\n"), "d.txt line 1: id: required");
  EXPECT_EQ(JsonError("{\"id\":2}\n"), "d.txt line 1: home_id: required");
  EXPECT_EQ(JsonError("{\"id\":1,\"home_id\":2,\"room\":3}\n"),
            "d.txt line 1: unknown field 'room' (expected id, home_id, "
            "class)");
  EXPECT_EQ(JsonError("{\"id\":1,\"home_id\":2,\"id\":3}\n"),
            "d.txt line 1: id: given twice");
}

TEST(DeviceJsonLinesTest, BadValues) {
  EXPECT_EQ(JsonError("{\"id\":\"1\",\"home_id\":2}\n"),
            "d.txt line 1: id: must be a positive integer, got '\"1\"'");
  EXPECT_EQ(JsonError("{\"id\":0,\"home_id\":2}\n"),
            "d.txt line 1: id: must be a positive integer, got '0'");
  EXPECT_EQ(JsonError("{\"id\":-3,\"home_id\":2}\n"),
            "d.txt line 1: id: must be a positive integer, got '-3'");
  EXPECT_EQ(JsonError("{\"id\":1.0,\"home_id\":2}\n"),
            "d.txt line 1: id: must be a positive integer, got '1.0'");
  EXPECT_EQ(JsonError("{\"id\":1,\"home_id\":null}\n"),
            "d.txt line 1: home_id: must be a positive integer, got 'null'");
  EXPECT_EQ(JsonError("{\"id\":1,\"home_id\":2,\"class\":5}\n"),
            "d.txt line 1: class: must be a string");
  EXPECT_EQ(JsonError("{\"id\":1,\"home_id\":2,\"class\":\"\\u0001\"}\n"),
            "d.txt line 1: class: control characters are not allowed");
}

TEST(DeviceJsonLinesTest, DuplicateIdAndHugeLine) {
  EXPECT_EQ(JsonError("{\"id\":1,\"home_id\":2}\n{\"id\":1,\"home_id\":3}\n"),
            "device 1 is listed twice: d.txt line 1 and d.txt line 2");
  EXPECT_EQ(JsonError("{\"id\":1,\"home_id\":2,\"class\":\"" +
                      std::string(5000, 'c') + "\"}\n"),
            "d.txt line 1: longer than 4096 bytes");
}

// --- files ---------------------------------------------------------------

TEST(DeviceFileTest, FormatByExtension) {
  EXPECT_EQ(*DeviceFileFormatOf("/a/b.csv"), DeviceFileFormat::kCsv);
  EXPECT_EQ(*DeviceFileFormatOf("B.CSV"), DeviceFileFormat::kCsv);
  EXPECT_EQ(*DeviceFileFormatOf("b.jsonl"), DeviceFileFormat::kJsonLines);
  EXPECT_EQ(*DeviceFileFormatOf("b.ndjson"), DeviceFileFormat::kJsonLines);
  EXPECT_THAT(std::string(DeviceFileFormatOf("b.json").status().message()),
              HasSubstr(".csv, .jsonl or .ndjson"));
}

TEST(DeviceFileTest, LoadsAFileAndNamesAMissingOne) {
  const std::string path = ::testing::TempDir() + "/device_file_test.jsonl";
  std::ofstream(path) << "{\"id\":9,\"home_id\":10,\"class\":\"lamp\"}\n";
  DeviceTableBuilder b;
  ASSERT_TRUE(LoadDeviceFile(path, b).ok());
  auto t = std::move(b).Build();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->Find(9)->device_class, "lamp");

  DeviceTableBuilder none;
  absl::Status st = LoadDeviceFile(path + ".missing.csv", none);
  EXPECT_EQ(st.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(st.message()),
              StartsWith(path + ".missing.csv: cannot be read"));
}

}  // namespace
}  // namespace streamgate
