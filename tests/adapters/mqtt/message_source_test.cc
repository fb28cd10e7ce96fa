// MessageSource: payload field values by JSON type, topic levels, and a
// mapped event's compact eventData text.
#include "adapters/mqtt/message_source.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

std::string Field(MessageSource& s, absl::string_view name) {
  std::string out = "<";
  if (!s.AppendPayloadField(name, out)) return "none";
  return out + ">";
}

TEST(MessageSourceTest, PayloadFieldsByType) {
  MessageSource s;
  s.Reset("t", R"({"s":"a\"b\u00e9","i":-42,"u":18446744073709551615,
                   "d":2.5,"t":true,"f":false,"n":null,"o":{},"a":[1],
                   "s":"second"})");
  EXPECT_EQ(Field(s, "s"), "<a\"b\xc3\xa9>");  // unescaped; the first wins
  EXPECT_EQ(Field(s, "i"), "<-42>");
  EXPECT_EQ(Field(s, "u"), "<18446744073709551615>");
  EXPECT_EQ(Field(s, "d"), "<2.5>");
  EXPECT_EQ(Field(s, "t"), "<true>");
  EXPECT_EQ(Field(s, "f"), "<false>");
  EXPECT_EQ(Field(s, "n"), "none");
  EXPECT_EQ(Field(s, "o"), "none");
  EXPECT_EQ(Field(s, "a"), "none");
  EXPECT_EQ(Field(s, "missing"), "none");
}

TEST(MessageSourceTest, NonObjectPayloadsHaveNoFields) {
  MessageSource s;
  for (absl::string_view payload : {"not json", "[1,2]", "\"x\"", "", "{"}) {
    s.Reset("t", payload);
    EXPECT_EQ(Field(s, "x"), "none") << payload;
  }
  // Reset forgets the previous message.
  s.Reset("t", R"({"x":1})");
  EXPECT_EQ(Field(s, "x"), "<1>");
  s.Reset("t", "[]");
  EXPECT_EQ(Field(s, "x"), "none");
}

TEST(MessageSourceTest, TopicVariables) {
  MessageSource s;
  s.Reset("factory/p1/7/telemetry", "{}");
  EXPECT_EQ(s.topic(), "factory/p1/7/telemetry");
  auto t = Template::Parse("${topic(1)}|${topic(3)}|${topic()}",
                           {TemplateVar::kTopic, TemplateVar::kTopicLevel});
  ASSERT_TRUE(t.ok());
  std::string out;
  ASSERT_TRUE(t->Expand(s, out));
  EXPECT_EQ(out, "factory|7|factory/p1/7/telemetry");
  auto too_deep = Template::Parse("${topic(5)}", {TemplateVar::kTopicLevel});
  ASSERT_TRUE(too_deep.ok());
  out.clear();
  EXPECT_FALSE(too_deep->Expand(s, out));
}

TEST(MessageSourceTest, ObjectTextIsCompact) {
  MessageSource s;
  EventRejection why = EventRejection::kNone;
  s.Reset("t", " {\n \"a\" : [ 1 , 2.50 ] ,\t\"s\" : \"x y\\n\" } ");
  auto text = s.ObjectText(&why);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, R"({"a":[1,2.50],"s":"x y\n"})");
  s.Reset("t", "[1]");
  EXPECT_EQ(s.ObjectText(&why).status().message(),
            "payload is not a JSON object");
  EXPECT_EQ(why, EventRejection::kNotObject);
  s.Reset("t", "{\"a\":");
  EXPECT_THAT(std::string(s.ObjectText(&why).status().message()),
              ::testing::HasSubstr("payload is not valid JSON"));
  EXPECT_EQ(why, EventRejection::kInvalidJson);
  s.Reset("t", "{\"a\":\"\xff\"}");  // invalid UTF-8
  EXPECT_FALSE(s.ObjectText(&why).ok());
}

}  // namespace
}  // namespace streamgate
