// ConfigReader: the one YAML section reader — typed reads naming field and
// line, one boolean vocabulary, sizes with suffixes, unknown and duplicate
// keys.
#include "gateway/api/config_reader.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

using ::testing::HasSubstr;

TEST(ConfigReaderTest, OneBooleanVocabularyForEveryField) {
  const ConfigReader r(YAML::Load("a: on\nb: off\nc: yes\nd: False\ne: maybe\n"),
                       "sink");
  EXPECT_EQ(*r.Bool("a").value(), true);
  EXPECT_EQ(*r.Bool("b").value(), false);
  EXPECT_EQ(*r.Bool("c").value(), true);
  EXPECT_EQ(*r.Bool("d").value(), false);
  EXPECT_FALSE(r.Bool("missing").value().has_value());
  EXPECT_EQ(r.Bool("e").status().message(),
            "sink.e (line 5): must be true or false");
}

TEST(ConfigReaderTest, IntegersAndSizesNameTheRange) {
  const ConfigReader r(YAML::Load("n: 7\nbig: 900\nsz: 2MiB\nk: 3K\nbad: 2MB\n"),
                       "q");
  EXPECT_EQ(*r.Int("n", 1, 10).value(), 7);
  EXPECT_EQ(r.Int("big", 1, 500).status().message(),
            "q.big (line 2): must be between 1 and 500, got 900");
  EXPECT_EQ(*r.Bytes("sz", 0, int64_t{1} << 40).value(), 2 << 20);
  EXPECT_EQ(*r.Bytes("k", 0, 1 << 20).value(), 3 << 10);
  EXPECT_THAT(std::string(r.Bytes("bad", 0, 1 << 30).status().message()),
              HasSubstr("q.bad (line 5): must be a size in bytes"));
  EXPECT_FALSE(ParseBytes("").has_value());
  EXPECT_FALSE(ParseBytes("99999999999G").has_value());  // overflows
}

TEST(ConfigReaderTest, UnknownKeysListTheKnownOnes) {
  const ConfigReader r(YAML::Load("path: x\npth: y\n"), "sink");
  EXPECT_EQ(r.CheckKnownKeys({"path"}).message(),
            "sink.pth (line 2): unknown field (expected one of: path)");
}

TEST(ConfigReaderTest, DuplicateKeysInsideListsAreFound) {
  absl::Status st = CheckNoDuplicateKeys(
      YAML::Load("modules:\n  - id: a\n  - id: b\n    id: c\n"));
  EXPECT_EQ(st.message(),
            "modules[1].id: duplicate key 'id' (lines 3 and 4)");
  EXPECT_TRUE(CheckNoDuplicateKeys(YAML::Load("a: 1\nb: {a: 2}\n")).ok());
}

}  // namespace
}  // namespace streamgate
