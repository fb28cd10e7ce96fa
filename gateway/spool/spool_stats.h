// SpoolStats: the counters of one spool (fsyncs and their time, group
// commits, write errors, replays, recoveries, deletions), and the
// streamgate_module_spool_* families they are reported as on /metrics. Names
// and help texts are part of the exposition: keep them stable.
//
// Threading: the counters are atomics, bumped from any thread; the metric
// writer runs on the scrape thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace streamgate {

namespace metrics {
class MetricsWriter;  // gateway/api/metrics_writer.h
}

struct SpoolStats {
  std::atomic<uint64_t> replayed_records{0};  // undelivered, found at Start
  std::atomic<uint64_t> torn_tails_cut{0};
  std::atomic<uint64_t> torn_bytes_cut{0};
  std::atomic<uint64_t> damaged_regions{0};
  std::atomic<uint64_t> damaged_bytes{0};
  std::atomic<uint64_t> fsyncs{0};
  // Wall time spent in fdatasync (how much of a group commit is the disk).
  std::atomic<uint64_t> fsync_nanos{0};
  std::atomic<uint64_t> write_errors{0};
  std::atomic<uint64_t> segments_deleted{0};
  // Group commit: inputs prepared, and the writes that carried them (one
  // per group).
  std::atomic<uint64_t> commits{0};
  std::atomic<uint64_t> commit_writes{0};
  // Committers queued behind a running group commit, now.
  std::atomic<uint64_t> commits_waiting{0};
};

// What the spool reports besides its counters.
struct SpoolGauges {
  uint64_t used_bytes = 0;  // undelivered frames plus reservations
  uint64_t segments = 0;    // segment files on disk
  int64_t max_bytes = 0;    // spool.max_bytes
};

// Adds the streamgate_module_spool_* samples, without labels (the module
// adds its own).
void WriteSpoolMetrics(const SpoolStats& stats, const SpoolGauges& gauges,
                       metrics::MetricsWriter& out);

}  // namespace streamgate
