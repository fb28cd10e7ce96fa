#include "gateway/spool/spool_stats.h"

#include "gateway/api/metrics_writer.h"

namespace streamgate {

void WriteSpoolMetrics(const SpoolStats& stats, const SpoolGauges& gauges,
                       metrics::MetricsWriter& out) {
  auto load = [](const std::atomic<uint64_t>& v) {
    return static_cast<double>(v.load(std::memory_order_relaxed));
  };
  out.Gauge("streamgate_module_spool_bytes",
            "Bytes the module's spool holds for records not yet settled "
            "(what max_bytes bounds).",
            {}, static_cast<double>(gauges.used_bytes));
  out.Gauge("streamgate_module_spool_segments",
            "Segment files of the module's spool on disk.", {},
            static_cast<double>(gauges.segments));
  out.Gauge("streamgate_module_spool_max_bytes",
            "The module's spool.max_bytes.", {},
            static_cast<double>(gauges.max_bytes));
  out.Counter("streamgate_module_spool_fsyncs_total",
              "fdatasync calls on the module's spool.", {}, load(stats.fsyncs));
  out.Counter("streamgate_module_spool_fsync_seconds_total",
              "Wall time spent in fdatasync on the module's spool.", {},
              load(stats.fsync_nanos) / 1e9);
  out.Counter("streamgate_module_spool_commits_total",
              "Inputs the module's spool committed (failed writes included).",
              {}, load(stats.commits));
  out.Counter("streamgate_module_spool_commit_writes_total",
              "Group-commit writes to the module's spool, failed ones "
              "included (each carries one or more inputs).",
              {}, load(stats.commit_writes));
  out.Counter("streamgate_module_spool_write_errors_total",
              "Spool writes or syncs that failed (the input was refused).", {},
              load(stats.write_errors));
  out.Counter("streamgate_module_spool_replayed_records_total",
              "Undelivered records found in the spool at start and replayed.",
              {}, load(stats.replayed_records));
  out.Counter("streamgate_module_spool_torn_tails_total",
              "Torn segment tails cut at start (a crash mid-write).", {},
              load(stats.torn_tails_cut));
  out.Counter("streamgate_module_spool_damaged_regions_total",
              "Corrupt spool regions skipped (CRC mismatch).", {},
              load(stats.damaged_regions));
  out.Counter("streamgate_module_spool_damaged_bytes_total",
              "Bytes of corrupt spool regions skipped.", {},
              load(stats.damaged_bytes));
  out.Counter("streamgate_module_spool_segments_deleted_total",
              "Spool segments deleted after every record was settled.", {},
              load(stats.segments_deleted));
}

}  // namespace streamgate
