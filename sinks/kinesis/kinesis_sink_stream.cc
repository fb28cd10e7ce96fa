// KinesisSink's view of the stream itself (the other half of
// kinesis_sink.cc, which holds the data path): the stream's limits and
// shard map as DescribeStreamSummary and ListShards give them, installed
// under the sink's lock, and the per-shard metrics they feed.
#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/common/log_text.h"
#include "sinks/kinesis/kinesis_sink.h"
#include "sinks/kinesis/shard_metrics.h"

namespace streamgate::kinesis {
namespace {

// Control-plane answers are small; an endpoint's error text in a log line
// is cut to this.
constexpr size_t kMaxLoggedError = 300;

}  // namespace

absl::Status KinesisSink::LoadStreamMetadata() {
  absl::StatusOr<size_t> limit = metadata_->MaxRecordBytes();
  if (limit.ok() && config_.max_record_bytes > *limit) {
    return absl::InvalidArgumentError(absl::StrCat(
        "module ", module_id_, ": sink.max_record_bytes: ",
        config_.max_record_bytes, " is above the largest record stream ",
        config_.stream_name, " takes (", *limit, " bytes, MaxRecordSizeInKiB ",
        *limit / 1024, "); lower it or raise the stream's limit"));
  }
  if (!limit.ok()) {
    // Not fatal: the endpoint may be down now and up later; a record over
    // the stream's real limit is then refused by Kinesis and dead-lettered.
    logger_->warn(
        "stream {}: record size limit not read ({}); max_record_bytes {} "
        "is not checked against it",
        config_.stream_name,
        EscapeForLog(limit.status().message(), kMaxLoggedError),
        config_.max_record_bytes);
  }
  absl::StatusOr<ShardMap> map = metadata_->LoadShardMap();
  if (!map.ok()) {
    logger_->warn(
        "stream {}: shard map not loaded ({}); records go without "
        "per-shard rate limits until it is (retrying)",
        config_.stream_name,
        EscapeForLog(map.status().message(), kMaxLoggedError));
    return absl::OkStatus();
  }
  absl::MutexLock lock(&mu_);
  InstallMap(*std::move(map));
  return absl::OkStatus();
}

void KinesisSink::InstallMap(ShardMap map) {
  const absl::Time now = absl::Now();
  const size_t before = assembler_.map().size();
  const size_t after = map.size();
  const bool had_map = before > 0;
  if (assembler_.SetMap(std::move(map), now)) {
    if (had_map) {
      ++reshards_;
      logger_->warn("stream {}: reshard detected: {} open shard(s), was {}",
                    config_.stream_name, after, before);
    } else {
      logger_->info("stream {}: {} open shard(s)", config_.stream_name, after);
    }
    cv_.SignalAll();  // queues moved: the sender's wake-up time changed
  }
  map_loaded_ = now;
}

void KinesisSink::CollectMetrics(metrics::MetricsWriter& out) const {
  metrics_.Collect(out);
  ShardMetricsSnapshot snapshot;
  {
    absl::MutexLock lock(&mu_);
    snapshot.shards = assembler_.Stats();
    snapshot.map_shards = assembler_.map().size();
    snapshot.map_loaded = map_loaded_;
    snapshot.reshards = reshards_;
  }
  WriteShardMetrics(snapshot, absl::Now(), out);
}

}  // namespace streamgate::kinesis
