// Deaggregate: the builder's records come back exactly (keys, hash keys,
// data, order), a protoc-encoded record with its tables after its records
// too; a bad MD5, truncation, bad indices and random corruption give an
// error, never a crash or an answer larger than the input.
#include "sinks/kinesis/aggregation/deaggregator.h"

#include <openssl/evp.h>

#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "sinks/kinesis/aggregation/aggregate_builder.h"
#include "tests/sinks/kinesis/aggregation/reference_encoding.h"

namespace streamgate::kinesis {
namespace {

std::string Sample() {
  AggregateBuilder builder(51200);
  builder.Add("device-7", "first");
  builder.Add("device-9", std::string("\x00\x01", 2), "12345");
  builder.Add("device-7", "third");
  return builder.Finish();
}

TEST(DeaggregatorTest, ReturnsEveryUserRecordInOrder) {
  const std::string data = Sample();
  ASSERT_TRUE(IsAggregated(data));
  auto records = Deaggregate(data);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].partition_key, "device-7");
  EXPECT_EQ((*records)[0].data, "first");
  EXPECT_EQ((*records)[0].explicit_hash_key, "");
  EXPECT_EQ((*records)[1].partition_key, "device-9");
  EXPECT_EQ((*records)[1].data, std::string("\x00\x01", 2));
  EXPECT_EQ((*records)[1].explicit_hash_key, "12345");
  EXPECT_EQ((*records)[2].partition_key, "device-7");
  EXPECT_EQ((*records)[2].data, "third");
}

TEST(DeaggregatorTest, ReadsTablesThatFollowTheRecordsAndSkipsTags) {
  // protoc writes what the text says in field order; a record with tags
  // and the tables last is still valid protobuf for another producer.
  const std::string data = testing::ReferenceAggregate(
      "records { partition_key_index: 1 data: \"b\" "
      "tags { key: \"k\" value: \"v\" } }\n"
      "partition_key_table: \"zero\"\npartition_key_table: \"one\"\n");
  auto records = Deaggregate(data);
  ASSERT_TRUE(records.ok()) << records.status();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].partition_key, "one");
  EXPECT_EQ((*records)[0].data, "b");
}

TEST(DeaggregatorTest, PlainDataIsNotAggregated) {
  EXPECT_FALSE(IsAggregated("{\"eventType\":\"x\"}"));
  EXPECT_FALSE(IsAggregated("\xF3\x89\x9A\xC2short"));  // no room for MD5
  EXPECT_EQ(Deaggregate("plain").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DeaggregatorTest, BadChecksumIsDataLoss) {
  std::string data = Sample();
  data[10] ^= 0x01;
  auto records = Deaggregate(data);
  EXPECT_EQ(records.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(records.status().message().find("MD5"), std::string::npos);
}

TEST(DeaggregatorTest, IndexOutsideTheTableIsDataLoss) {
  const std::string data = testing::ReferenceAggregate(
      "partition_key_table: \"only\"\n"
      "records { partition_key_index: 1 data: \"b\" }\n");
  EXPECT_EQ(Deaggregate(data).status().code(), absl::StatusCode::kDataLoss);
  const std::string hash = testing::ReferenceAggregate(
      "partition_key_table: \"only\"\n"
      "records { partition_key_index: 0 explicit_hash_key_index: 3 "
      "data: \"b\" }\n");
  EXPECT_EQ(Deaggregate(hash).status().code(), absl::StatusCode::kDataLoss);
}

// magic + body + MD5(body): a corrupted body with a valid checksum, so the
// protobuf parser, not the checksum, has to catch it.
std::string Signed(absl::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(body.data(), body.size(), digest, &size, EVP_md5(), nullptr);
  return absl::StrCat(kKplMagic, body,
                      absl::string_view(reinterpret_cast<char*>(digest), size));
}

TEST(DeaggregatorTest, CorruptBodiesGiveErrorsNotCrashes) {
  const std::string good = Sample();
  const std::string body = good.substr(4, good.size() - 20);
  std::mt19937 rng(12);
  int errors = 0;
  for (int i = 0; i < 2000; ++i) {
    std::string mutated = body;
    const int flips = 1 + rng() % 4;
    for (int f = 0; f < flips; ++f) {
      mutated[rng() % mutated.size()] = static_cast<char>(rng());
    }
    if (rng() % 4 == 0) mutated.resize(rng() % mutated.size());
    const std::string data = Signed(mutated);
    auto records = Deaggregate(data);
    if (!records.ok()) {
      ++errors;
      continue;
    }
    size_t total = 0;
    for (const auto& r : *records) {
      total +=
          r.partition_key.size() + r.data.size() + r.explicit_hash_key.size();
    }
    EXPECT_LE(total, data.size());
  }
  EXPECT_GT(errors, 0);
}

TEST(DeaggregatorTest, TruncatedRecordsAreErrors) {
  const std::string good = Sample();
  for (size_t cut = 0; cut < good.size(); ++cut) {
    auto records = Deaggregate(good.substr(0, cut));
    EXPECT_FALSE(records.ok()) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace streamgate::kinesis
