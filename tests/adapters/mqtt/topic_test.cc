#include "adapters/mqtt/topic.h"

#include "gtest/gtest.h"

namespace streamgate {
namespace {

TEST(ParseDeviceIdTest, AcceptsCanonicalPositiveIntegers) {
  EXPECT_EQ(*ParseDeviceId("1"), 1);
  EXPECT_EQ(*ParseDeviceId("1234567"), 1234567);
  EXPECT_EQ(*ParseDeviceId("9223372036854775807"), INT64_MAX);
}

TEST(ParseDeviceIdTest, RejectsEverythingElse) {
  for (const char* bad :
       {"", "0", "00", "007", "-1", "+1", " 1", "1 ", "1a", "a1", "0x10",
        "1.0", "1e3", "9223372036854775808", "99999999999999999999"}) {
    EXPECT_FALSE(ParseDeviceId(bad).ok()) << bad;
  }
}

TEST(ParseDeviceTopicTest, Event) {
  auto t = ParseDeviceTopic("/devices/42/event");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->kind, DeviceTopic::Kind::kEvent);
  EXPECT_EQ(t->device_id, 42);
  EXPECT_TRUE(t->label.empty());
}

TEST(ParseDeviceTopicTest, Bulk) {
  auto t = ParseDeviceTopic("/devices/7/bulkData/engine-logs");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->kind, DeviceTopic::Kind::kBulk);
  EXPECT_EQ(t->device_id, 7);
  EXPECT_EQ(t->label, "engine-logs");
}

TEST(ParseDeviceTopicTest, RejectsMalformedTopics) {
  for (const char* bad : {
           "devices/42/event",           // no leading slash
           "/devices/42/event/",         // trailing level
           "/devices/42/events",         // wrong kind
           "/devices/42",                // no kind
           "/devices//event",            // empty id
           "/devices/0/event",           // zero
           "/devices/-3/event",          // sign
           "/devices/042/event",         // leading zero
           "/devices/4x2/event",         // junk
           "/devices/99999999999999999999/event",  // overflow
           "/devices/42/bulkData/",      // empty label
           "/devices/42/bulkData",       // no label
           "/devices/42/bulkData/a/b",   // label with '/'
           "/device/42/event",           // wrong root
           "",
       }) {
    EXPECT_FALSE(ParseDeviceTopic(bad).ok()) << bad;
  }
}

TEST(ParseDeviceTopicTest, ReasonNamesTheProblem) {
  EXPECT_NE(ParseDeviceTopic("/devices/abc/event").status().message().find(
                "device id"),
            absl::string_view::npos);
  EXPECT_NE(ParseDeviceTopic("/devices/1/bulkData/").status().message().find(
                "label"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace streamgate
