// Event rendering (gateway/core/event_json.h): the MODE Event JSON of spec 1.1,
// byte for byte, and Struct values of every kind.
#include "gateway/core/event_json.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"

namespace streamgate {
namespace {

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;
using ::testing::HasSubstr;

Value Num(double d) {
  Value v;
  v.set_number_value(d);
  return v;
}
Value Str(const std::string& s) {
  Value v;
  v.set_string_value(s);
  return v;
}
Value Bool(bool b) {
  Value v;
  v.set_bool_value(b);
  return v;
}
Value Null() {
  Value v;
  v.set_null_value(google::protobuf::NULL_VALUE);
  return v;
}
Value List(std::initializer_list<Value> items) {
  Value v;
  ListValue* l = v.mutable_list_value();
  for (const Value& i : items) *l->add_values() = i;
  return v;
}
Value Obj(const Struct& s) {
  Value v;
  *v.mutable_struct_value() = s;
  return v;
}
Struct Fields(std::initializer_list<std::pair<const std::string, Value>> kv) {
  Struct s;
  for (const auto& p : kv) (*s.mutable_fields())[p.first] = p.second;
  return s;
}

std::string StructJson(const Struct& s) {
  std::string out;
  absl::Status st = AppendStructJson(s, out);
  EXPECT_TRUE(st.ok()) << st;
  return out;
}

ResolvedEvent BaseEvent() {
  ResolvedEvent e;
  e.event_type = "alarm";
  e.timestamp = absl::FromUnixSeconds(1700000000);
  e.home_id = 7;
  return e;
}

std::string Render(const ResolvedEvent& e) {
  std::string out;
  absl::Status st = RenderEvent(e, out);
  EXPECT_TRUE(st.ok()) << st;
  return out;
}

TEST(RenderEventTest, HomeEventWithNoOptionalFields) {
  EXPECT_EQ(Render(BaseEvent()),
            R"({"eventType":"alarm","eventData":{},"timestamp":"2023-11-14T22:13:20Z","homeId":7})");
}

TEST(RenderEventTest, EveryOptionalFieldInSpecOrder) {
  ResolvedEvent e = BaseEvent();
  e.origin_device_id = 42;
  e.origin_device_class = "thermostat";
  e.origin_device_ip = "10.0.0.5";
  e.origin_project_key_id = "k-1";
  e.origin_project_key_name = "ops key";
  EXPECT_EQ(Render(e),
            R"({"eventType":"alarm","eventData":{},"timestamp":"2023-11-14T22:13:20Z","homeId":7,)"
            R"("originDeviceId":42,"originDeviceClass":"thermostat","originDeviceIp":"10.0.0.5",)"
            R"("originProjectKeyId":"k-1","originProjectKeyName":"ops key"})");
}

// All 16 combinations of the four optional groups. The expected text is
// assembled from hand-written fragments, in the spec's key order.
class OptionalFieldsTest : public ::testing::TestWithParam<int> {};

TEST_P(OptionalFieldsTest, PresentKeysInOrderAbsentKeysOmitted) {
  const int mask = GetParam();
  ResolvedEvent e = BaseEvent();
  std::string want =
      R"({"eventType":"alarm","eventData":{},"timestamp":"2023-11-14T22:13:20Z","homeId":7)";
  if (mask & 1) {
    e.origin_device_id = 42;
    want += R"(,"originDeviceId":42)";
  }
  if (mask & 2) {
    e.origin_device_class = "lamp";
    want += R"(,"originDeviceClass":"lamp")";
  }
  if (mask & 4) {
    e.origin_device_ip = "::1";
    want += R"(,"originDeviceIp":"::1")";
  }
  if (mask & 8) {
    e.origin_project_key_id = "id9";
    e.origin_project_key_name = "nine";
    want += R"(,"originProjectKeyId":"id9","originProjectKeyName":"nine")";
  }
  want += "}";
  EXPECT_EQ(Render(e), want);
}

INSTANTIATE_TEST_SUITE_P(AllCombinations, OptionalFieldsTest,
                         ::testing::Range(0, 16));

TEST(RenderEventTest, DeviceIdZeroIsStillPresentWhenSet) {
  // Presence is the optional's, not the value's (the core refuses <= 0
  // before rendering; the renderer itself must not guess).
  ResolvedEvent e = BaseEvent();
  e.origin_device_id = 0;
  EXPECT_THAT(Render(e), HasSubstr(R"("homeId":7,"originDeviceId":0})"));
}

TEST(RenderEventTest, LargeIdsAreExactIntegers) {
  ResolvedEvent e = BaseEvent();
  e.home_id = 9007199254740993;  // 2^53 + 1: not a double
  e.origin_device_id = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(Render(e),
            R"({"eventType":"alarm","eventData":{},"timestamp":"2023-11-14T22:13:20Z",)"
            R"("homeId":9007199254740993,"originDeviceId":9223372036854775807})");
}

TEST(RenderEventTest, StringFieldsAreEscaped) {
  ResolvedEvent e = BaseEvent();
  e.event_type = "a\"b\\c\n";
  e.origin_device_class = "cl\x01";
  e.origin_device_ip = "/ip/";
  e.origin_project_key_id = "\xf0\x9f\x94\x91";  // 🔑
  e.origin_project_key_name = "t\tab";
  EXPECT_EQ(Render(e),
            "{\"eventType\":\"a\\\"b\\\\c\\n\",\"eventData\":{},"
            "\"timestamp\":\"2023-11-14T22:13:20Z\",\"homeId\":7,"
            "\"originDeviceClass\":\"cl\\u0001\",\"originDeviceIp\":\"/ip/\","
            "\"originProjectKeyId\":\"\xf0\x9f\x94\x91\","
            "\"originProjectKeyName\":\"t\\tab\"}");
}

TEST(RenderEventTest, TimestampFractionsAndRange) {
  ResolvedEvent e = BaseEvent();
  e.timestamp = absl::FromUnixSeconds(-62135596800) + absl::Milliseconds(5);
  EXPECT_EQ(Render(e),
            R"({"eventType":"alarm","eventData":{},"timestamp":"0001-01-01T00:00:00.005Z","homeId":7})");
  e.timestamp = absl::FromUnixSeconds(253402300799) + absl::Microseconds(7);
  EXPECT_EQ(Render(e),
            R"({"eventType":"alarm","eventData":{},"timestamp":"9999-12-31T23:59:59.000007Z","homeId":7})");
  e.timestamp = absl::FromUnixNanos(-999999999);
  EXPECT_EQ(Render(e),
            R"({"eventType":"alarm","eventData":{},"timestamp":"1969-12-31T23:59:59.000000001Z","homeId":7})");
}

TEST(RenderEventTest, DataJsonIsCopiedVerbatim) {
  ResolvedEvent e = BaseEvent();
  e.data_json = R"({"z":1,  "a":[true]})";
  EXPECT_EQ(Render(e),
            R"({"eventType":"alarm","eventData":{"z":1,  "a":[true]},"timestamp":"2023-11-14T22:13:20Z","homeId":7})");
}

TEST(RenderEventTest, StructWinsOverDataJson) {
  ResolvedEvent e = BaseEvent();
  Struct s = Fields({{"t", Num(21.5)}});
  e.data_struct = &s;
  e.data_json = R"({"ignored":true})";
  EXPECT_EQ(Render(e),
            R"({"eventType":"alarm","eventData":{"t":21.5},"timestamp":"2023-11-14T22:13:20Z","homeId":7})");
}

TEST(RenderEventTest, EmptyStructRendersEmptyObject) {
  ResolvedEvent e = BaseEvent();
  Struct s;
  e.data_struct = &s;
  EXPECT_EQ(Render(e),
            R"({"eventType":"alarm","eventData":{},"timestamp":"2023-11-14T22:13:20Z","homeId":7})");
}

TEST(RenderEventTest, NonFiniteNumberFailsNamingThePath) {
  ResolvedEvent e = BaseEvent();
  Struct s = Fields({{"a", Obj(Fields({{"b", List({Num(1), Num(2),
      Num(std::numeric_limits<double>::quiet_NaN())})}}))}});
  e.data_struct = &s;
  std::string out;
  absl::Status st = RenderEvent(e, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "event_data.a.b[2]: NaN is not valid JSON");
}

TEST(AppendStructJsonTest, ScalarsOfEveryKind) {
  Struct s = Fields({{"n", Null()},
                     {"t", Bool(true)},
                     {"f", Bool(false)},
                     {"i", Num(42)},
                     {"neg", Num(-7)},
                     {"frac", Num(0.25)},
                     {"s", Str("x")}});
  EXPECT_EQ(StructJson(s),
            R"({"f":false,"frac":0.25,"i":42,"n":null,"neg":-7,"s":"x","t":true})");
}

TEST(AppendStructJsonTest, NumbersInEcmaScriptForm) {
  Struct s = Fields({{"a_big", Num(1e21)},
                     {"b_tiny", Num(1e-7)},
                     {"c_denorm", Num(5e-324)},
                     {"d_max", Num(1.7976931348623157e308)},
                     {"e_negzero", Num(-0.0)},
                     {"f_2p53", Num(9007199254740992.0)},
                     {"g_2p64", Num(18446744073709551616.0)},
                     {"h_neg_frac", Num(-0.125)},
                     {"i_1e20", Num(1e20)}});
  EXPECT_EQ(StructJson(s),
            R"({"a_big":1e+21,"b_tiny":1e-7,"c_denorm":5e-324,)"
            R"("d_max":1.7976931348623157e+308,"e_negzero":0,)"
            R"("f_2p53":9007199254740992,"g_2p64":18446744073709552000,)"
            R"("h_neg_frac":-0.125,"i_1e20":100000000000000000000})");
}

TEST(AppendStructJsonTest, NestedListsAndStructs) {
  Struct inner = Fields({{"y", List({})}, {"x", Obj(Struct())}});
  Struct s = Fields(
      {{"l", List({Num(1), Str("a"), List({}), Obj(Struct()), Null(),
                   List({List({Bool(false)})})})},
       {"o", Obj(Fields({{"deep", Obj(inner)}}))},
       {"e", Obj(Struct())},
       {"el", List({})}});
  EXPECT_EQ(StructJson(s),
            R"({"e":{},"el":[],"l":[1,"a",[],{},null,[[false]]],)"
            R"("o":{"deep":{"x":{},"y":[]}}})");
}

TEST(AppendStructJsonTest, UnsetValueKindIsNull) {
  Struct s;
  (*s.mutable_fields())["u"];  // a Value with no kind set
  Value in_list;
  in_list.mutable_list_value()->add_values();  // unset inside a list
  (*s.mutable_fields())["l"] = in_list;
  EXPECT_EQ(StructJson(s), R"({"l":[null],"u":null})");
}

TEST(AppendStructJsonTest, KeysSortedBytewise) {
  // Byte order, not UTF-16 order: U+FF41 (EF BD 81) sorts before an emoji
  // (F0 ...), although JavaScript's UTF-16 order would put the emoji first.
  Struct s = Fields({{"b", Num(1)},
                     {"a", Num(2)},
                     {"B", Num(3)},
                     {"aa", Num(4)},
                     {"", Num(5)},
                     {"\xc3\xa9", Num(6)},
                     {"\xf0\x9f\x98\x80", Num(7)},
                     {"\xef\xbd\x81", Num(8)},
                     {"10", Num(9)},
                     {"9", Num(10)}});
  EXPECT_EQ(StructJson(s),
            "{\"\":5,\"10\":9,\"9\":10,\"B\":3,\"a\":2,\"aa\":4,\"b\":1,"
            "\"\xc3\xa9\":6,\"\xef\xbd\x81\":8,\"\xf0\x9f\x98\x80\":7}");
}

TEST(AppendStructJsonTest, NestedKeysSortedToo) {
  Struct s = Fields({{"o", Obj(Fields({{"z", Num(1)}, {"m", Num(2)}, {"a", Num(3)}}))}});
  EXPECT_EQ(StructJson(s), R"({"o":{"a":3,"m":2,"z":1}})");
}

TEST(AppendStructJsonTest, UnicodeAndEscapesInKeysAndValues) {
  Struct s = Fields({{"k\"ey", Str("v\\al")},
                     {"name", Str("J\xc3\xbcrgen \xf0\x9f\x8c\xa1")},
                     {"ctl", Str("\b\f\n\r\t\x01\x1f")},
                     {"path", Str("/a/b")},
                     {"ls", Str("\xe2\x80\xa8")}});
  EXPECT_EQ(StructJson(s),
            "{\"ctl\":\"\\b\\f\\n\\r\\t\\u0001\\u001f\","
            "\"k\\\"ey\":\"v\\\\al\","
            "\"ls\":\"\xe2\x80\xa8\","
            "\"name\":\"J\xc3\xbcrgen \xf0\x9f\x8c\xa1\","
            "\"path\":\"/a/b\"}");
}

TEST(AppendStructJsonTest, NaNAtTopLevelNamesTheKey) {
  Struct s = Fields({{"ok", Num(1)},
                     {"reading", Num(std::numeric_limits<double>::quiet_NaN())}});
  std::string out;
  absl::Status st = AppendStructJson(s, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "event_data.reading: NaN is not valid JSON");
}

TEST(AppendStructJsonTest, InfinityRejectedNamingThePath) {
  Struct s = Fields({{"a", Obj(Fields({{"b", List({Num(0), Num(1),
      Num(std::numeric_limits<double>::infinity())})}}))}});
  std::string out;
  absl::Status st = AppendStructJson(s, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "event_data.a.b[2]: Infinity is not valid JSON");
}

TEST(AppendStructJsonTest, NegativeInfinityRejected) {
  Struct s = Fields(
      {{"x", List({List({Num(-std::numeric_limits<double>::infinity())})})}});
  std::string out;
  absl::Status st = AppendStructJson(s, out);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "event_data.x[0][0]: Infinity is not valid JSON");
}

}  // namespace
}  // namespace streamgate
