// StreamReader: reads a Kinesis stream back (ListShards, GetShardIterator,
// GetRecords) for streamgate-tail and tests. Decodes each record's data.
//
// Threading: not thread-safe; one reader per thread (the KinesisApi it
// uses may be shared).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/tail/kinesis_api.h"

namespace streamgate::kinesis {

struct ShardInfo {
  std::string shard_id;
  std::string starting_hash_key;  // decimal, inclusive
  std::string ending_hash_key;    // decimal, inclusive
};

struct StreamRecord {
  std::string shard_id;
  std::string sequence_number;
  std::string partition_key;
  std::string data;  // decoded bytes
};

struct RecordsPage {
  std::vector<StreamRecord> records;
  std::string next_iterator;  // empty: the shard is closed and read
  int64_t millis_behind_latest = 0;
};

class StreamReader {
 public:
  StreamReader(KinesisApi& api, std::string stream_name)
      : api_(api), stream_name_(std::move(stream_name)) {}

  // Every shard of the stream (follows NextToken).
  absl::StatusOr<std::vector<ShardInfo>> ListShards();

  // `type` is TRIM_HORIZON or LATEST.
  absl::StatusOr<std::string> GetShardIterator(const std::string& shard_id,
                                               const std::string& type);

  absl::StatusOr<RecordsPage> GetRecords(const std::string& shard_id,
                                         const std::string& iterator, int limit);

  // Everything currently in the shard, from the oldest record: pages until
  // the reader has caught up (an empty page with MillisBehindLatest 0).
  absl::StatusOr<std::vector<StreamRecord>> ReadShard(const std::string& shard_id);

 private:
  KinesisApi& api_;
  const std::string stream_name_;
};

// Creates a stream and waits (up to `timeout`) until it is ACTIVE.
absl::Status CreateStreamAndWait(KinesisApi& api, const std::string& stream_name,
                                 int shard_count, absl::Duration timeout);

}  // namespace streamgate::kinesis
