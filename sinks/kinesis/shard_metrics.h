// The Kinesis sink's shard families on /metrics: the shard map's size, age
// and reshards, and per shard (label `shard`) records and bytes sent,
// throttled attempts and the rate the sink allows itself now. A snapshot
// taken under the sink's lock, written without it.
//
// Plain values and a pure function; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "gateway/api/metrics_writer.h"
#include "sinks/kinesis/shard_assembler.h"

namespace streamgate::kinesis {

struct ShardMetricsSnapshot {
  size_t map_shards = 0;                         // 0: no map loaded yet
  absl::Time map_loaded = absl::InfinitePast();  // when it was last loaded
  uint64_t reshards = 0;
  std::vector<ShardStats> shards;
};

void WriteShardMetrics(const ShardMetricsSnapshot& s, absl::Time now,
                       metrics::MetricsWriter& out);

}  // namespace streamgate::kinesis
