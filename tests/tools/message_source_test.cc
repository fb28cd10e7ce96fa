// streamgate-sim's MessageSource: template parsing and its errors, the
// message numbering the README documents, and bulk payloads that the
// gateway's own MessagePack decoder reads back record for record.
#include "tools/sim/message_source.h"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gateway/core/msgpack_bulk.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace streamgate::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseTemplatesTest, ReadsTypesAndCompactData) {
  auto t = MessageSource::ParseTemplates(
      R"([{"eventType": "temp", "eventData": {"c": 21.5, "s": "a\"b"}},
          {"eventType": "beat"}])",
      "f.json");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[0].event_type, "temp");
  EXPECT_EQ((*t)[0].event_data_json, R"({"c":21.5,"s":"a\"b"})");
  EXPECT_EQ((*t)[0].event_data.fields().at("c").number_value(), 21.5);
  EXPECT_EQ((*t)[1].event_data_json, "{}");
}

TEST(ParseTemplatesTest, ErrorsNameTheFileAndIndex) {
  EXPECT_THAT(MessageSource::ParseTemplates("[1,", "f.json").status().message(),
              HasSubstr("f.json: not valid JSON"));
  EXPECT_THAT(MessageSource::ParseTemplates("[]", "f.json").status().message(),
              HasSubstr("non-empty JSON list"));
  EXPECT_THAT(MessageSource::ParseTemplates(R"([{"eventType":"a"},{"eventData":{}}])",
                                            "f.json")
                  .status()
                  .message(),
              HasSubstr("f.json[1].eventType"));
  EXPECT_THAT(MessageSource::ParseTemplates(R"([{"eventType":"a","eventData":[1]}])",
                                            "f.json")
                  .status()
                  .message(),
              HasSubstr("f.json[0].eventData: must be an object"));
}

TEST(EncodeBulkPayloadTest, GatewayDecoderReadsEveryRecord) {
  const std::vector<std::string> records = {
      "", "x", std::string(255, 'a'), std::string(256, 'b'),
      std::string(70000, 'c'), std::string("\0\xff", 2)};
  const std::string payload = EncodeBulkPayload(records);
  EXPECT_EQ(payload.substr(0, 4), "\xa3" "1.0");
  auto decoded = DecodeBulkPayload(payload);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, records);
}

class MessageSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.devices = 3;
    options_.first_device_id = 10;
    options_.bulk_label = "blob";
    options_.bulk_records = 2;
    options_.bulk_record_bytes = 28;  // 26 characters, padded with dots
    char path[] = "/tmp/sg-sim-templates-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    const std::string text =
        R"([{"eventType":"a","eventData":{"n":1}},{"eventType":"b"}])";
    ASSERT_EQ(write(fd, text.data(), text.size()),
              static_cast<ssize_t>(text.size()));
    close(fd);
    path_ = path;
    options_.events_file = path_;
  }
  void TearDown() override { unlink(path_.c_str()); }

  SimOptions options_;
  std::string path_;
};

TEST_F(MessageSourceTest, EventsAndBulkAlternate) {
  auto source = MessageSource::Create(options_);
  ASSERT_TRUE(source.ok()) << source.status();
  const MessageSource& s = **source;
  // m=0 event 0 (device 10, template a), m=1 bulk 0 (device 10),
  // m=2 event 1 (device 11, template b), m=7 bulk 3 (device 10).
  EXPECT_EQ(s.Topic(0), "/devices/10/event");
  EXPECT_EQ(s.Payload(0), R"({"eventType":"a","eventData":{"n":1}})");
  EXPECT_EQ(s.Topic(1), "/devices/10/bulkData/blob");
  EXPECT_EQ(s.RecordsOf(1), 2);
  EXPECT_EQ(s.Topic(2), "/devices/11/event");
  EXPECT_EQ(s.Payload(2), R"({"eventType":"b","eventData":{}})");
  EXPECT_EQ(s.Topic(7), "/devices/10/bulkData/blob");
  auto records = DecodeBulkPayload(s.Payload(7));
  ASSERT_TRUE(records.ok());
  EXPECT_THAT(*records, ElementsAre("device 10 bulk 3 record 0 ..",
                                    "device 10 bulk 3 record 1 .."));

  streamgate::v1::Event event;
  s.FillEvent(4, &event);  // event 2: device 12, template a
  EXPECT_EQ(event.event_type(), "a");
  EXPECT_EQ(event.origin_device_id(), 12);
  EXPECT_EQ(event.home_id(), 0);
  EXPECT_EQ(event.event_data().fields().at("n").number_value(), 1);
  streamgate::v1::BulkData bulk;
  s.FillBulk(5, &bulk);  // bulk 2: device 12
  EXPECT_EQ(bulk.device_id(), 12);
  EXPECT_EQ(bulk.label(), "blob");
  ASSERT_EQ(bulk.records_size(), 2);
  EXPECT_EQ(bulk.records(1), "device 12 bulk 2 record 1 ..");
}

TEST_F(MessageSourceTest, OnlyBulkWithoutTemplates) {
  options_.events_file.clear();
  options_.bulk_record_bytes = 8;  // truncated to its size
  auto source = MessageSource::Create(options_);
  ASSERT_TRUE(source.ok());
  EXPECT_TRUE((*source)->IsBulk(0));
  EXPECT_EQ((*source)->Topic(1), "/devices/11/bulkData/blob");
  auto records = DecodeBulkPayload((*source)->Payload(1));
  ASSERT_TRUE(records.ok());
  EXPECT_THAT(*records, ElementsAre("device 1", "device 1"));
}

TEST_F(MessageSourceTest, MissingFileIsNamed) {
  options_.events_file = "/nonexistent/events.json";
  EXPECT_THAT(MessageSource::Create(options_).status().message(),
              HasSubstr("/nonexistent/events.json"));
}

}  // namespace
}  // namespace streamgate::sim
