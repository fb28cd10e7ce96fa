// Template parsing (every variable, refusals with their reason) and
// expansion through a scope.
#include "gateway/common/template.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

using ::testing::HasSubstr;

constexpr std::initializer_list<TemplateVar> kAll = {
    TemplateVar::kTopic,   TemplateVar::kTopicLevel, TemplateVar::kPayloadField,
    TemplateVar::kNewUuid, TemplateVar::kDeviceId,   TemplateVar::kHomeId,
    TemplateVar::kLabel,   TemplateVar::kEventType};

// Values by variable spelling; a spelling not in the map has no value.
class MapScope : public TemplateScope {
 public:
  explicit MapScope(std::map<std::string, std::string> values)
      : values_(std::move(values)) {}
  bool Append(const TemplateSegment& s, std::string& out) const override {
    auto it = values_.find(VariableText(s));
    if (it == values_.end()) return false;
    out.append(it->second);
    return true;
  }

 private:
  std::map<std::string, std::string> values_;
};

std::string Expand(absl::string_view text, const MapScope& scope) {
  auto t = Template::Parse(text, kAll);
  EXPECT_TRUE(t.ok()) << t.status();
  std::string out = "prefix:";
  const TemplateSegment* missing = nullptr;
  if (!t->Expand(scope, out, &missing)) {
    return "MISSING " + Template::MissingReason(*missing);
  }
  return out;
}

TEST(TemplateTest, EveryVariableExpands) {
  const MapScope scope({{"${topic()}", "sensors/1"},
                        {"${topic(2)}", "1"},
                        {"${payload.deviceid}", "7"},
                        {"${newuuid()}", "U"},
                        {"${device_id}", "42"},
                        {"${home_id}", "9"},
                        {"${label}", "logs"},
                        {"${event_type}", "temp"}});
  EXPECT_EQ(Expand("${topic()}", scope), "prefix:sensors/1");
  EXPECT_EQ(Expand("${topic(2)}", scope), "prefix:1");
  EXPECT_EQ(Expand("${payload.deviceid}", scope), "prefix:7");
  EXPECT_EQ(Expand("${newuuid()}", scope), "prefix:U");
  EXPECT_EQ(Expand("${device_id}", scope), "prefix:42");
  EXPECT_EQ(Expand("${home_id}", scope), "prefix:9");
  EXPECT_EQ(Expand("${label}", scope), "prefix:logs");
  EXPECT_EQ(Expand("${event_type}", scope), "prefix:temp");
  EXPECT_EQ(Expand("h${home_id}-d${device_id}/${label}$x{", scope),
            "prefix:h9-d42/logs$x{");
  EXPECT_EQ(Expand("fixed", scope), "prefix:fixed");
}

TEST(TemplateTest, MissingValueNamesTheVariable) {
  const MapScope scope({});
  EXPECT_EQ(Expand("a${topic(3)}", scope),
            "MISSING ${topic(3)}: the topic has fewer than 3 levels (or the "
            "input did not come from MQTT)");
  EXPECT_THAT(Expand("${payload.x}", scope), HasSubstr("field 'x'"));
  EXPECT_THAT(Expand("${device_id}", scope), HasSubstr("no device id"));
  EXPECT_THAT(Expand("${label}", scope), HasSubstr("not bulk data"));
  EXPECT_THAT(Expand("${event_type}", scope), HasSubstr("not an event"));
  EXPECT_THAT(Expand("${home_id}", scope), HasSubstr("home is not known"));
  EXPECT_THAT(Expand("${topic()}", scope), HasSubstr("MQTT topic"));
}

TEST(TemplateTest, SegmentsAreCompiledOnce) {
  auto t = Template::Parse("k-${topic(12)}-${payload.a_b}", kAll);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->segments().size(), 4u);
  EXPECT_EQ(t->segments()[0].text, "k-");
  EXPECT_EQ(t->segments()[1].var, TemplateVar::kTopicLevel);
  EXPECT_EQ(t->segments()[1].level, 12);
  EXPECT_EQ(t->segments()[2].text, "-");
  EXPECT_EQ(t->segments()[3].var, TemplateVar::kPayloadField);
  EXPECT_EQ(t->segments()[3].text, "a_b");
  EXPECT_TRUE(t->Uses(TemplateVar::kPayloadField));
  EXPECT_FALSE(t->Uses(TemplateVar::kNewUuid));
  EXPECT_FALSE(t->literal());
  EXPECT_EQ(t->text(), "k-${topic(12)}-${payload.a_b}");
  auto fixed = Template::Parse("alarm", kAll);
  ASSERT_TRUE(fixed.ok());
  EXPECT_TRUE(fixed->literal());
}

TEST(TemplateTest, BadTemplatesAreRefusedWithTheReason) {
  struct Case {
    const char* text;
    const char* reason;
  };
  const Case cases[] = {
      {"${topic(2)", "unclosed '${' at character 1"},
      {"x${", "unclosed '${' at character 2"},
      {"${topic(0)}", "${topic(0)}: the topic level must be 1..255"},
      {"${topic(256)}", "the topic level must be 1..255"},
      {"${topic(-1)}", "the topic level must be 1..255"},
      {"${topic(a)}", "the topic level must be 1..255"},
      {"${topic( 2)}", "the topic level must be 1..255"},
      {"${topic}", "${topic} is not a known variable"},
      {"${payload.}", "the field name is missing"},
      {"${payload.a.b}", "only top-level payload fields"},
      {"${clientid()}",
       "the broker does not tell subscribers the "
       "publisher's client id"},
      {"${clientid}", "is not available"},
      {"${ device_id }", "${ device_id } is not a known variable"},
      {"${}", "${} is not a known variable"},
      {"${timestamp()}", "is not a known variable"},
  };
  for (const Case& c : cases) {
    auto t = Template::Parse(c.text, kAll);
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(t.status().message()), HasSubstr(c.reason))
        << c.text;
  }
  const std::string long_field(257, 'f');
  EXPECT_FALSE(Template::Parse("${payload." + long_field + "}", kAll).ok());
  EXPECT_TRUE(
      Template::Parse("${payload." + long_field.substr(1) + "}", kAll).ok());
}

TEST(TemplateTest, VariablesOutsideTheAllowedSetAreRefused) {
  auto t = Template::Parse("${newuuid()}",
                           {TemplateVar::kTopic, TemplateVar::kTopicLevel,
                            TemplateVar::kPayloadField});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            "${newuuid()} is not available here (allowed: ${topic()}, "
            "${topic(N)}, ${payload.FIELD})");
}

TEST(TemplateTest, LiteralHasOneSegment) {
  Template t = Template::Literal("alarm");
  EXPECT_TRUE(t.literal());
  std::string out;
  EXPECT_TRUE(t.Expand(MapScope({}), out));
  EXPECT_EQ(out, "alarm");
}

TEST(TopicLevelTest, OneBasedLevels) {
  absl::string_view v;
  ASSERT_TRUE(TopicLevel("factory/a/7/telemetry", 1, v));
  EXPECT_EQ(v, "factory");
  ASSERT_TRUE(TopicLevel("factory/a/7/telemetry", 3, v));
  EXPECT_EQ(v, "7");
  ASSERT_TRUE(TopicLevel("factory/a/7/telemetry", 4, v));
  EXPECT_EQ(v, "telemetry");
  EXPECT_FALSE(TopicLevel("factory/a/7/telemetry", 5, v));
  ASSERT_TRUE(TopicLevel("/devices/5", 1, v));
  EXPECT_EQ(v, "");
  ASSERT_TRUE(TopicLevel("/devices/5", 3, v));
  EXPECT_EQ(v, "5");
  ASSERT_TRUE(TopicLevel("a//b", 2, v));
  EXPECT_EQ(v, "");
  ASSERT_TRUE(TopicLevel("a/", 2, v));
  EXPECT_EQ(v, "");
  ASSERT_TRUE(TopicLevel("", 1, v));
  EXPECT_EQ(v, "");
  EXPECT_FALSE(TopicLevel("", 2, v));
}

TEST(Utf8LengthTest, CountsCodePoints) {
  EXPECT_EQ(Utf8Length(""), 0u);
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("\xc3\xa9t\xc3\xa9"), 3u);  // été
  EXPECT_EQ(Utf8Length("\xf0\x9f\x98\x80"), 1u);   // one emoji
}

}  // namespace
}  // namespace streamgate
