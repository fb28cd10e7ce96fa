// AggregateBuilder: packs user records into one KPL-format aggregated Kinesis
// record (magic F3 89 9A C2, a protobuf AggregatedRecord with partition-key
// and explicit-hash-key tables, MD5 trailer; the messages are in
// proto/kpl_aggregated_record.proto). It keeps the exact size of what
// Finish() will return as records are added, so a record that would push the
// aggregate past max_bytes is refused and the caller starts the next one.
// Encoded by hand with varints: no protobuf objects on the data path.
//
// Not thread-safe: one builder per shard assembler; reusable after Finish().
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"

namespace streamgate::kinesis {

// The 4 bytes every aggregated record's data starts with.
inline constexpr absl::string_view kKplMagic = "\xF3\x89\x9A\xC2";
// Magic + MD5 trailer.
inline constexpr size_t kKplOverhead = 4 + 16;

class AggregateBuilder {
 public:
  // max_bytes bounds one aggregated Kinesis record the way Kinesis counts
  // it: the data (magic + protobuf + MD5) plus the outer partition key,
  // which is the first user record's key.
  explicit AggregateBuilder(size_t max_bytes);

  // Adds a user record, keeping its own partition key (and explicit hash
  // key, when not empty). Returns false and adds nothing when the builder
  // is not empty and the record would make the aggregate exceed max_bytes;
  // the first record is always taken, whatever its size.
  bool Add(absl::string_view partition_key, absl::string_view data,
           absl::string_view explicit_hash_key = {});

  // What Add would make size() with this record; adds nothing.
  size_t SizeWith(absl::string_view partition_key, size_t data_size,
                  absl::string_view explicit_hash_key = {}) const;

  // What size() would be after adding records of one partition key (no
  // explicit hash key) with these data sizes; adds nothing.
  size_t SizeWithRun(absl::string_view partition_key,
                     const std::vector<size_t>& data_sizes) const;

  // The aggregated record's data: magic, AggregatedRecord, MD5 of the
  // AggregatedRecord bytes. Then the builder is empty again.
  std::string Finish();

  // Empties the builder without encoding.
  void Clear();

  size_t record_count() const { return record_count_; }
  bool empty() const { return record_count_ == 0; }
  // The first user record's partition key: the outer record's key.
  const std::string& outer_partition_key() const { return outer_key_; }
  // Bytes of Finish()'s result (0 when empty).
  size_t data_size() const {
    return empty() ? 0
                   : kKplOverhead + keys_.size() + hash_keys_.size() +
                         records_.size();
  }
  // data_size() plus the outer partition key: what Kinesis counts.
  size_t size() const { return empty() ? 0 : data_size() + outer_key_.size(); }
  size_t max_bytes() const { return max_bytes_; }

 private:
  struct RecordLayout {
    size_t key_table_growth = 0;   // bytes a new partition-key entry adds
    size_t hash_table_growth = 0;  // bytes a new explicit-hash-key entry adds
    size_t record_bytes = 0;       // the Record field, tag and length included
    uint64_t key_index = 0;
    uint64_t hash_index = 0;
  };
  RecordLayout Layout(absl::string_view partition_key, size_t data_size,
                      absl::string_view explicit_hash_key) const;

  size_t max_bytes_;
  size_t record_count_ = 0;
  std::string outer_key_;
  // The three repeated fields of AggregatedRecord, already encoded (tags and
  // lengths included), kept apart so Finish() writes them in field order,
  // as protobuf serializers do.
  std::string keys_;       // field 1, partition_key_table
  std::string hash_keys_;  // field 2, explicit_hash_key_table
  std::string records_;    // field 3, records
  absl::flat_hash_map<std::string, uint64_t> key_index_;
  absl::flat_hash_map<std::string, uint64_t> hash_index_;
};

}  // namespace streamgate::kinesis
