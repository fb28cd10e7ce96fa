// Codec: exact PutRecords request bytes (the base64 writer it uses is
// tested with gateway/common/json_text); response parsing including partial
// failures and error bodies.
#include "sinks/kinesis/codec.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/json_text.h"
#include "gtest/gtest.h"

namespace streamgate::kinesis {
namespace {

PendingRecord Rec(std::string data, std::string key) {
  PendingRecord r;
  r.record.data = std::make_shared<const std::string>(std::move(data));
  r.record.partition_key = std::move(key);
  return r;
}

TEST(CodecTest, EncodesRequestExactly) {
  PendingBatch batch;
  batch.push_back(Rec("hello", "42"));
  batch.push_back(Rec(std::string("\x00\xff\x10", 3), "key \"q\"\\\n\x01"));
  batch.push_back(Rec("", "h\xc3\xa9"));  // empty data, UTF-8 key
  EXPECT_EQ(EncodePutRecords("my-stream", batch),
            "{\"StreamName\":\"my-stream\",\"Records\":["
            "{\"Data\":\"aGVsbG8=\",\"PartitionKey\":\"42\"},"
            "{\"Data\":\"AP8Q\",\"PartitionKey\":\"key \\\"q\\\"\\\\\\n\\u0001\"},"
            "{\"Data\":\"\",\"PartitionKey\":\"h\xc3\xa9\"}]}");
}

TEST(CodecTest, EncodesEmptyBatch) {
  EXPECT_EQ(EncodePutRecords("s", {}), "{\"StreamName\":\"s\",\"Records\":[]}");
}

TEST(CodecTest, ParsesPartialFailure) {
  auto r = ParsePutRecordsResponse(R"({"FailedRecordCount":2,"Records":[
    {"SequenceNumber":"4960","ShardId":"shardId-000000000001"},
    {"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded for shard"},
    {"ErrorCode":"InternalFailure","ErrorMessage":"Internal service failure."},
    {"SequenceNumber":"4961","ShardId":"shardId-000000000003","EncryptionType":"NONE"}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->failed_record_count, 2);
  ASSERT_EQ(r->records.size(), 4u);
  EXPECT_TRUE(r->records[0].ok());
  EXPECT_EQ(r->records[0].sequence_number, "4960");
  EXPECT_EQ(r->records[0].shard_id, "shardId-000000000001");
  EXPECT_FALSE(r->records[1].ok());
  EXPECT_EQ(r->records[1].error_code, "ProvisionedThroughputExceededException");
  EXPECT_EQ(r->records[1].error_message, "Rate exceeded for shard");
  EXPECT_EQ(r->records[2].error_code, "InternalFailure");
  EXPECT_EQ(r->records[3].shard_id, "shardId-000000000003");
}

TEST(CodecTest, RejectsMalformedResponses) {
  EXPECT_FALSE(ParsePutRecordsResponse("").ok());
  EXPECT_FALSE(ParsePutRecordsResponse("[1]").ok());
  EXPECT_FALSE(ParsePutRecordsResponse(R"({"FailedRecordCount":0})").ok());
  EXPECT_FALSE(ParsePutRecordsResponse(R"({"Records":[{"ShardId":"x"}]})").ok());
  EXPECT_FALSE(ParsePutRecordsResponse(R"({"Records":[1]})").ok());
}

TEST(CodecTest, JsonStringEscapesBetweenPlainRuns) {
  std::string out;
  AppendJsonString(out, "");
  AppendJsonString(out, "plain-key-42");
  AppendJsonString(out, std::string("a\"b\\c\x1f\td\re\nf\x00", 13));
  AppendJsonString(out, "\"");
  EXPECT_EQ(out, "\"\"\"plain-key-42\"\"a\\\"b\\\\c\\u001f\\td\\re\\nf\\u0000\"\"\\\"\"");
}

TEST(CodecTest, EncodesLargeBatchWithinOneAllocation) {
  PendingBatch batch;
  std::string expected = "{\"StreamName\":\"s\",\"Records\":[";
  for (int i = 0; i < 500; ++i) {
    std::string data(150 + i % 3, static_cast<char>('a' + i % 26));
    expected += (i ? "," : "");
    expected += "{\"Data\":\"" + absl::Base64Escape(data) + "\",\"PartitionKey\":\"" +
                std::to_string(i) + "\"}";
    batch.push_back(Rec(std::move(data), std::to_string(i)));
  }
  expected += "]}";
  const std::string body = EncodePutRecords("s", batch);
  EXPECT_EQ(body, expected);
  EXPECT_LT(body.capacity() - body.size(), 64u * 500);  // sized, not doubled
}

TEST(CodecTest, FailuresOnlyParseCountsAnAllSuccessAnswerWithoutEntries) {
  auto r = ParsePutRecordsResponse(R"({"FailedRecordCount":0,"Records":[
    {"SequenceNumber":"1","ShardId":"shardId-000000000001"},
    {"SequenceNumber":"2","ShardId":"shardId-000000000002"},
    {"SequenceNumber":"3","ShardId":"shardId-000000000003"}]})",
                                   ResultDetail::kFailuresOnly);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->failed_record_count, 0);
  EXPECT_EQ(r->record_count, 3u);
  EXPECT_TRUE(r->records.empty());
  // The full parse of the same answer has every entry.
  auto full = ParsePutRecordsResponse(R"({"FailedRecordCount":0,"Records":[
    {"SequenceNumber":"1","ShardId":"a"},{"SequenceNumber":"2","ShardId":"b"}]})");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->record_count, 2u);
  ASSERT_EQ(full->records.size(), 2u);
  EXPECT_EQ(full->records[1].sequence_number, "2");
}

TEST(CodecTest, AnswersNameTheDistinctShardsOfStoredRecords) {
  for (ResultDetail detail : {ResultDetail::kAll, ResultDetail::kFailuresOnly}) {
    auto r = ParsePutRecordsResponse(R"({"FailedRecordCount":1,"Records":[
      {"SequenceNumber":"1","ShardId":"shardId-1"},
      {"SequenceNumber":"2","ShardId":"shardId-1"},
      {"SequenceNumber":"3","ShardId":"shardId-2"},
      {"ErrorCode":"InternalFailure","ErrorMessage":"x"},
      {"SequenceNumber":"4","ShardId":"shardId-1"}]})",
                                     detail);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->shard_ids, (std::vector<std::string>{"shardId-1", "shardId-2"}));
  }
  // A hostile answer cannot grow the list without bound.
  std::string body = R"({"FailedRecordCount":0,"Records":[)";
  for (int i = 0; i < 500; ++i) {
    absl::StrAppend(&body, i ? "," : "", R"({"SequenceNumber":"1","ShardId":"s)", i,
                    R"("})");
  }
  body += "]}";
  auto r = ParsePutRecordsResponse(body, ResultDetail::kFailuresOnly);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->shard_ids.size(), kMaxAnswerShardIds);
}

TEST(CodecTest, FailuresOnlyParseReturnsEveryEntryWhenOneFailed) {
  // FailedRecordCount says 0 but an entry failed: the entries win.
  auto r = ParsePutRecordsResponse(R"({"FailedRecordCount":0,"Records":[
    {"SequenceNumber":"1","ShardId":"a"},
    {"ErrorCode":"InternalFailure","ErrorMessage":"x"}]})",
                                   ResultDetail::kFailuresOnly);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->record_count, 2u);
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_TRUE(r->records[0].ok());
  EXPECT_EQ(r->records[1].error_code, "InternalFailure");
  // And FailedRecordCount > 0 with only successes materializes too.
  r = ParsePutRecordsResponse(R"({"FailedRecordCount":1,"Records":[{"SequenceNumber":"1"}]})",
                              ResultDetail::kFailuresOnly);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records.size(), 1u);
}

TEST(CodecTest, FailuresOnlyParseStillValidatesEveryEntry) {
  const auto kFast = ResultDetail::kFailuresOnly;
  EXPECT_FALSE(ParsePutRecordsResponse("", kFast).ok());
  EXPECT_FALSE(ParsePutRecordsResponse(R"({"FailedRecordCount":0})", kFast).ok());
  EXPECT_FALSE(ParsePutRecordsResponse(
                   R"({"FailedRecordCount":0,"Records":[{"SequenceNumber":"1"},{"ShardId":"x"}]})",
                   kFast)
                   .ok());
  EXPECT_FALSE(ParsePutRecordsResponse(
                   R"({"FailedRecordCount":0,"Records":[{"SequenceNumber":"1"},2]})", kFast)
                   .ok());
  EXPECT_FALSE(ParsePutRecordsResponse(
                   R"({"FailedRecordCount":0,"Records":[{"SequenceNumber":""}]})", kFast)
                   .ok());
  // The thread's parser is reused: a valid answer after bad ones still parses.
  auto r = ParsePutRecordsResponse(R"({"FailedRecordCount":0,"Records":[]})", kFast);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->record_count, 0u);
}

TEST(CodecTest, ParsesErrorBodies) {
  ErrorBody e = ParseErrorBody(
      R"({"__type":"com.amazonaws.kinesis.v20131202#ResourceNotFoundException","message":"Stream x not found"})");
  EXPECT_EQ(e.type, "ResourceNotFoundException");
  EXPECT_EQ(e.message, "Stream x not found");
  e = ParseErrorBody(R"({"__type":"ThrottlingException","Message":"slow down"})");
  EXPECT_EQ(e.type, "ThrottlingException");
  EXPECT_EQ(e.message, "slow down");
  e = ParseErrorBody("<html>bad gateway</html>");
  EXPECT_EQ(e.type, "");
  EXPECT_EQ(e.message, "");
  e = ParseErrorBody("");
  EXPECT_EQ(e.type, "");
}

}  // namespace
}  // namespace streamgate::kinesis
