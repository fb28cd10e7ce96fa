#include "sinks/kinesis/shard_metrics.h"

namespace streamgate::kinesis {

void WriteShardMetrics(const ShardMetricsSnapshot& s, absl::Time now,
                       metrics::MetricsWriter& out) {
  out.Gauge("streamgate_kinesis_shard_map_shards",
            "Open shards in the sink's shard map (0: not loaded yet).", {},
            static_cast<double>(s.map_shards));
  if (s.map_loaded != absl::InfinitePast()) {
    out.Gauge("streamgate_kinesis_shard_map_age_seconds",
              "Seconds since the shard map was last loaded (ListShards).", {},
              absl::ToDoubleSeconds(now - s.map_loaded));
  }
  out.Counter("streamgate_kinesis_reshards_total",
              "Shard map changes seen after the first load (splits, merges).", {},
              static_cast<double>(s.reshards));
  // One family after the other: a family's samples must be together.
  for (const ShardStats& st : s.shards) {
    out.Counter("streamgate_kinesis_shard_records_sent_total",
                "Record attempts sent to a shard (retries included).",
                {{"shard", st.shard_id}}, static_cast<double>(st.records_sent));
  }
  for (const ShardStats& st : s.shards) {
    out.Counter("streamgate_kinesis_shard_bytes_sent_total",
                "Bytes (data + partition keys) of the record attempts sent to a shard.",
                {{"shard", st.shard_id}}, static_cast<double>(st.bytes_sent));
  }
  for (const ShardStats& st : s.shards) {
    out.Counter("streamgate_kinesis_shard_records_throttled_total",
                "Record attempts a shard refused for throughput.",
                {{"shard", st.shard_id}}, static_cast<double>(st.throttled));
  }
  for (const ShardStats& st : s.shards) {
    out.Gauge("streamgate_kinesis_shard_allowed_records_per_second",
              "Records per second the sink allows itself on a shard now (AIMD).",
              {{"shard", st.shard_id}}, st.allowed_records_per_s);
  }
  for (const ShardStats& st : s.shards) {
    out.Gauge("streamgate_kinesis_shard_allowed_bytes_per_second",
              "Bytes per second the sink allows itself on a shard now (AIMD).",
              {{"shard", st.shard_id}}, st.allowed_bytes_per_s);
  }
}

}  // namespace streamgate::kinesis
