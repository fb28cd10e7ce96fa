// ShardMap: a Kinesis stream's open shards as sorted hash-key ranges, and
// the shard of a record: the range holding MD5(partition key) read as a
// 128-bit big-endian integer (or the record's ExplicitHashKey). Built from
// ListShards answers (ParseListShardsPage, one page at a time; closed
// shards, those with an EndingSequenceNumber, are dropped).
//
// Pure values and functions, no I/O; a built map is immutable and may be
// read from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace streamgate::kinesis {

struct ShardRange {
  std::string shard_id;
  absl::uint128 start = 0;  // StartingHashKey, inclusive
  absl::uint128 end = 0;    // EndingHashKey, inclusive
};

// MD5 of the key as Kinesis reads it: a 128-bit big-endian integer.
absl::uint128 HashKeyOf(absl::string_view partition_key);

// A decimal hash key (0 .. 2^128-1), as ListShards and ExplicitHashKey
// write it.
absl::StatusOr<absl::uint128> ParseHashKey(absl::string_view decimal);

struct ListShardsPage {
  std::vector<ShardRange> open_shards;  // closed shards left out
  size_t closed_shards = 0;
  std::string next_token;  // empty on the last page
};

// One ListShards answer. Fails on anything but the documented shape
// (hostile answers get a bounded error, never a crash).
absl::StatusOr<ListShardsPage> ParseListShardsPage(absl::string_view body);

// The stream's record size limit from a DescribeStreamSummary answer, in
// bytes: MaxRecordSizeInKiB * 1024, or 1 MiB when the stream has not opted
// in (the field is absent).
absl::StatusOr<size_t> ParseMaxRecordBytes(absl::string_view body);

class ShardMap {
 public:
  // An empty map (no shard known): Lookup finds nothing.
  ShardMap() = default;

  // Sorts the ranges. Fails when they overlap (not a stream's open shards).
  static absl::StatusOr<ShardMap> Build(std::vector<ShardRange> shards);

  // Index into shards() of the range holding `hash_key`; nullopt when no
  // range does (an empty map, or a gap while a reshard is half seen).
  std::optional<size_t> Lookup(absl::uint128 hash_key) const;

  const std::vector<ShardRange>& shards() const { return shards_; }
  size_t size() const { return shards_.size(); }
  bool empty() const { return shards_.empty(); }

  // Whether `shard_id` is one of the open shards.
  bool Has(absl::string_view shard_id) const;

  // Same shard ids and ranges (a refresh that found no reshard).
  bool SameShards(const ShardMap& other) const;

 private:
  std::vector<ShardRange> shards_;  // sorted by start, disjoint
};

}  // namespace streamgate::kinesis
