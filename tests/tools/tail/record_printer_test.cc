// streamgate-tail's lines: a plain record as it always was, an aggregate as
// one line per user record (own key, explicit hash key when present,
// subSequenceNumber), a corrupt aggregate as a plain line with a warning.
#include "tools/tail/record_printer.h"

#include <string>

#include "gtest/gtest.h"
#include "sinks/kinesis/aggregation/aggregate_builder.h"

namespace streamgate::kinesis {
namespace {

StreamRecord Record(std::string data) {
  StreamRecord r;
  r.shard_id = "shardId-000000000001";
  r.sequence_number = "4960";
  r.partition_key = "outer";
  r.data = std::move(data);
  return r;
}

TEST(RecordPrinterTest, PlainRecordIsOneLine) {
  const std::string expected =
      "{\"shardId\":\"shardId-000000000001\",\"sequenceNumber\":\"4960\","
      "\"partitionKey\":\"outer\",\"data\":\"aGVsbG8=\"}\n";
  EXPECT_EQ(FormatRecord(Record("hello")), expected);
  std::string warning = "stale";
  EXPECT_EQ(FormatDeaggregated(Record("hello"), warning), expected);
  EXPECT_EQ(warning, "");
}

TEST(RecordPrinterTest, AggregateIsALinePerUserRecord) {
  AggregateBuilder builder(51200);
  ASSERT_TRUE(builder.Add("dev-1", "hello"));
  ASSERT_TRUE(builder.Add("dev-2", "world", "99"));
  std::string warning;
  EXPECT_EQ(FormatDeaggregated(Record(builder.Finish()), warning),
            "{\"shardId\":\"shardId-000000000001\",\"sequenceNumber\":\"4960\","
            "\"subSequenceNumber\":0,\"partitionKey\":\"dev-1\","
            "\"data\":\"aGVsbG8=\"}\n"
            "{\"shardId\":\"shardId-000000000001\",\"sequenceNumber\":\"4960\","
            "\"subSequenceNumber\":1,\"partitionKey\":\"dev-2\","
            "\"explicitHashKey\":\"99\",\"data\":\"d29ybGQ=\"}\n");
  EXPECT_EQ(warning, "");
}

TEST(RecordPrinterTest, CorruptAggregateIsPrintedAsIsWithAWarning) {
  AggregateBuilder builder(51200);
  ASSERT_TRUE(builder.Add("dev-1", "hello"));
  StreamRecord r = Record(builder.Finish());
  r.data[r.data.size() - 1] ^= 0x55;  // the MD5 trailer
  std::string warning;
  EXPECT_EQ(FormatDeaggregated(r, warning), FormatRecord(r));
  EXPECT_NE(warning.find("4960"), std::string::npos);
  EXPECT_NE(warning.find("MD5"), std::string::npos);
}

}  // namespace
}  // namespace streamgate::kinesis
