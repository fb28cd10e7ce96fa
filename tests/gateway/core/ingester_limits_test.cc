// Issue 15 item 2: what one input may cost. limits.max_records_per_input
// caps events per batch and records per bulk input (a MessagePack payload
// is refused while it decodes, not after), and a memory queue's byte bound
// charges each record its in-memory overhead, so many tiny records cannot
// pass for a few bytes.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gateway/core/ingester.h"
#include "gateway/core/memory_queue.h"
#include "gateway/core/msgpack_bulk.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/gateway/core/ingester_test_util.h"
#include "tests/gateway/core/test_pipeline.h"

namespace streamgate {
namespace {

using testing::Bulk;
using testing::Event;
using ::testing::HasSubstr;
using testing::MsgpackVersion;
using testing::TestPipeline;

constexpr char kCapped[] = R"(
limits: {max_records_per_input: 100}
modules:
  - id: all
    subscribe_events: ["*"]
    bulk_data_label: "*"
    sink: {type: stdout}
)";

// "1.0" then `n` one-byte bin records back to back.
std::string TinyRecords(size_t n) {
  std::string p = MsgpackVersion();
  for (size_t i = 0; i < n; ++i) p += std::string("\xc4\x01x", 3);
  return p;
}

TEST(MaxRecordsPerInputTest, MsgpackPayloadOverTheCapIsRefusedWhileDecoding) {
  TestPipeline p(kCapped);
  const std::string ok = TinyRecords(100);
  BulkInput in;
  in.device_id = 42;
  in.label = "t";
  in.msgpack_payload = ok;
  IngestResult r = p.ingester().PublishBulk(in, {});
  ASSERT_TRUE(r.ok()) << r.status;
  EXPECT_EQ(r.accepted, 100u);
  EXPECT_EQ(p.Drain(0).size(), 100u);

  const std::string big = TinyRecords(1000000);  // 3 MB, a million records
  in.msgpack_payload = big;
  r = p.ingester().PublishBulk(in, {});
  EXPECT_EQ(r.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      r.message(),
      HasSubstr("more than 100 records (limits.max_records_per_input)"));
  EXPECT_EQ(p.queue(0).depth(), 0u);
}

TEST(MaxRecordsPerInputTest, DecoderStopsAtTheCap) {
  auto r = DecodeBulkPayload(TinyRecords(11), 10);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("more than 10 records"));
  auto exact = DecodeBulkPayload(TinyRecords(10), 10);
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->size(), 10u);
}

TEST(MaxRecordsPerInputTest, ExplicitRecordsOverTheCapAreRefused) {
  TestPipeline p(kCapped);
  Bulk over(42, "t", std::vector<std::string>(101, "r"));
  IngestResult r = p.ingester().PublishBulk(over.input, {});
  EXPECT_EQ(r.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.reason, IngestReason::kTooLarge);
  EXPECT_EQ(r.message(),
            "records: 101 records in one input exceed "
            "limits.max_records_per_input (100); split it");
  EXPECT_EQ(p.queue(0).depth(), 0u);
  Bulk at(42, "t", std::vector<std::string>(100, "r"));
  EXPECT_TRUE(p.ingester().PublishBulk(at.input, {}).ok());
}

TEST(MaxRecordsPerInputTest, EventBatchOverTheCapIsRefused) {
  TestPipeline p(kCapped);
  std::vector<EventInput> events(101, Event("door"));
  IngestResult r = p.ingester().PublishEvents(events, {});
  EXPECT_EQ(r.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.message(), HasSubstr("events: 101 records in one input"));
  EXPECT_EQ(p.queue(0).depth(), 0u);
  events.resize(100);
  EXPECT_TRUE(p.ingester().PublishEvents(events, {}).ok());
}

TEST(MaxRecordsPerInputTest, DefaultIsTenThousand) {
  TestPipeline p(R"(
modules:
  - id: all
    bulk_data_label: "*"
    sink: {type: stdout}
)");
  BulkInput in;
  in.device_id = 42;
  in.label = "t";
  const std::string big = TinyRecords(10001);
  in.msgpack_payload = big;
  EXPECT_THAT(p.ingester().PublishBulk(in, {}).message(),
              HasSubstr("more than 10000 records"));
}

// Empty records into a queue bounded at 1 MiB: without the per-record
// charge each costs one byte (its partition key) and a million would fit.
TEST(MemoryQueueOverheadTest, TinyRecordsFillTheByteBound) {
  TestPipeline p(R"(
modules:
  - id: all
    bulk_data_label: "*"
    queue: {max_records: 1000000, max_bytes: 1048576}
    sink: {type: stdout}
)");
  Bulk b(7, "t", std::vector<std::string>(1000, ""));
  size_t queued = 0;
  for (int i = 0; i < 1000; ++i) {
    IngestResult r = p.ingester().PublishBulk(b.input, {});
    if (!r.ok()) {
      EXPECT_EQ(r.code(), absl::StatusCode::kResourceExhausted);
      break;
    }
    queued += r.accepted;
  }
  const size_t per_record = MemoryQueue::kRecordOverheadBytes + 1;
  EXPECT_LE(queued, (1u << 20) / per_record);
  EXPECT_GE(queued, (1u << 20) / per_record - 1000);
  EXPECT_EQ(p.queue(0).depth(), queued);
}

}  // namespace
}  // namespace streamgate
