#include "adapters/mqtt/event_payload.h"

#include <string>

#include "gtest/gtest.h"

namespace streamgate {
namespace {

class EventPayloadTest : public ::testing::Test {
 protected:
  // Parses and returns "type|data" or "error:<rejection>:<message>".
  std::string Parse(const std::string& payload) {
    EventRejection why = EventRejection::kNone;
    auto result = parser_.Parse(payload, &why);
    if (!result.ok()) {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
      return "error:" + std::to_string(static_cast<int>(why)) + ":" +
             std::string(result.status().message());
    }
    EXPECT_EQ(why, EventRejection::kNone);
    return std::string(result->event_type) + "|" +
           std::string(result->data_json);
  }
  EventRejection Rejection(const std::string& payload) {
    EventRejection why = EventRejection::kNone;
    EXPECT_FALSE(parser_.Parse(payload, &why).ok()) << payload;
    return why;
  }

  EventPayloadParser parser_;
};

TEST_F(EventPayloadTest, ValidWithData) {
  EXPECT_EQ(Parse(R"({"eventType":"temp","eventData":{"c":21.5}})"),
            R"(temp|{"c":21.5})");
}

TEST_F(EventPayloadTest, EventDataIsOptional) {
  EXPECT_EQ(Parse(R"({"eventType":"boot"})"), "boot|");
}

TEST_F(EventPayloadTest, WhitespaceIsRemovedButStringsAreKept) {
  EXPECT_EQ(Parse("{ \"eventType\" : \"a b\",\n \"eventData\" : {\n"
                  "  \"msg\" : \"two  spaces\" , \"n\" : [ 1 , 2 ] } }\n"),
            R"(a b|{"msg":"two  spaces","n":[1,2]})");
}

TEST_F(EventPayloadTest, NumbersAndEscapesKeepTheirSpelling) {
  EXPECT_EQ(Parse(R"({"eventType":"x","eventData":{"a":1.50,"b":1e2,)"
                  R"("c":"\u00e9\/\"","d":-0.0,"e":18446744073709551615}})"),
            R"(x|{"a":1.50,"b":1e2,"c":"\u00e9\/\"","d":-0.0,"e":18446744073709551615})");
}

// Documented limit of simdjson 3.0: integers beyond 64 bits are refused.
TEST_F(EventPayloadTest, IntegersBeyond64BitsAreRefused) {
  EXPECT_EQ(Rejection(R"({"eventType":"x","eventData":{"d":123456789012345678901234567890}})"),
            EventRejection::kInvalidJson);
}

TEST_F(EventPayloadTest, EventTypeIsUnescaped) {
  EXPECT_EQ(Parse(R"({"eventType":"a\"b\u0041"})"), "a\"bA|");
}

TEST_F(EventPayloadTest, OtherKeysAreIgnored) {
  EXPECT_EQ(Parse(R"({"x":[{"eventData":1}],"eventType":"t","eventData":{}})"),
            "t|{}");
}

TEST_F(EventPayloadTest, FirstDuplicateWinsConsistently) {
  EXPECT_EQ(Parse(R"({"eventType":"t","eventData":{"a":1},"eventData":[]})"),
            R"(t|{"a":1})");
}

TEST_F(EventPayloadTest, EscapedKeyNamesMatch) {
  EXPECT_EQ(Parse(R"({"event\u0054ype":"t","event\u0044ata":{"k":true}})"),
            R"(t|{"k":true})");
}

// The eventData text is found by walking the members in the source: keys
// and strings holding quotes, backslashes and "eventData" itself, and nested
// values spread over whitespace, must not throw the walk off.
TEST_F(EventPayloadTest, EventDataIsFoundPastTrickyMembers) {
  EXPECT_EQ(
      Parse("{ \"eventType\" : \"t\" , \"a\\\"eventData\\\\\" : { \"q\" : "
            "\"\\\\\\\" } \\\"\" } , \"r\" : [ 1 , { \"eventData\" : [ ] } ] ,\r\n"
            "\t\"eventData\" : { \"s\" : \"a\\\\\\\\\" , \"t\" : [ { } , [ ] , "
            "\"\\\\\" , -1.5e+3 , null , true , false ] } }"),
      R"(t|{"s":"a\\\\","t":[{},[],"\\",-1.5e+3,null,true,false]})");
}

TEST_F(EventPayloadTest, EventDataMayComeFirst) {
  EXPECT_EQ(Parse("{\"eventData\":{ \"k\" : \"v w\" },\"eventType\":\"t\"}"),
            R"(t|{"k":"v w"})");
}

TEST_F(EventPayloadTest, ParserIsReusableAcrossSizes) {
  std::string big = R"({"eventType":"big","eventData":{"s":")" +
                    std::string(100000, 'x') + R"("}})";
  EXPECT_EQ(Parse(big).substr(0, 4), "big|");
  EXPECT_EQ(Parse(R"({"eventType":"small"})"), "small|");
}

TEST_F(EventPayloadTest, RejectsInvalidJson) {
  for (const char* bad :
       {"", "not json", "{", R"({"eventType":"t"} trailing)",
        R"({"eventType":"t",})", R"({"eventType":"t","eventData":{"a":tru}})",
        R"({"eventType":"t","eventData":{"a":01}})", "{'eventType':'t'}",
        "{\"eventType\":\"t\xff\"}"}) {
    EXPECT_EQ(Rejection(bad), EventRejection::kInvalidJson) << bad;
  }
}

TEST_F(EventPayloadTest, RejectsNonObjects) {
  for (const char* bad : {"[]", R"(["eventType"])", "\"eventType\"", "42",
                          "null", "true"}) {
    EXPECT_EQ(Rejection(bad), EventRejection::kNotObject) << bad;
  }
}

TEST_F(EventPayloadTest, RejectsBadEventType) {
  EXPECT_EQ(Parse(R"({"eventData":{}})"), "error:3:eventType: missing");
  EXPECT_EQ(Parse(R"({"eventType":""})"), "error:3:eventType: must not be empty");
  for (const char* bad :
       {R"({"eventType":5})", R"({"eventType":null})", R"({"eventType":{}})",
        R"({"eventType":["t"]})", R"({"eventType":true})"}) {
    EXPECT_EQ(Parse(bad), "error:3:eventType: must be a string") << bad;
  }
}

TEST_F(EventPayloadTest, RejectsNonObjectEventData) {
  for (const char* bad :
       {R"({"eventType":"t","eventData":[]})", R"({"eventType":"t","eventData":null})",
        R"({"eventType":"t","eventData":"{}"})", R"({"eventType":"t","eventData":1})",
        R"({"eventType":"t","eventData":false})"}) {
    EXPECT_EQ(Parse(bad), "error:4:eventData: must be a JSON object") << bad;
  }
}

}  // namespace
}  // namespace streamgate
