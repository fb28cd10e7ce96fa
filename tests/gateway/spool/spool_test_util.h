// Helpers for the spool tests: a temporary directory removed at the end,
// spool options for tests, and committing / popping / settling records by
// their text.
// Test-only; one thread unless a test says otherwise.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gateway/spool/spool_queue.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/null_sink.h"
#include "spdlog/spdlog.h"

namespace streamgate {
namespace testing {

// A spool in FaultSpoolEnv's "/disk/spool" (64 MiB, 1 MiB segments) that
// syncs before every commit answers: the group-commit tests' set-up.
inline SpoolOptions SyncedFakeDiskOptions() {
  SpoolOptions o;
  o.dir = "/disk/spool";
  o.max_bytes = 64 << 20;
  o.segment_bytes = 1 << 20;
  o.fsync_always = true;
  return o;
}

// A logger that drops everything.
inline std::shared_ptr<spdlog::logger> QuietLogger() {
  return std::make_shared<spdlog::logger>(
      "spool", std::make_shared<spdlog::sinks::null_sink_mt>());
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "streamgate-spool-XXXXXX")
            .string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline SpoolOptions TestOptions(const std::string& dir) {
  SpoolOptions o;
  o.dir = dir + "/spool";
  o.max_bytes = 64 << 20;
  o.segment_bytes = 1 << 20;
  o.fsync_always = false;
  o.fsync_interval_ms = 5;
  return o;
}

inline OutRecord Rec(const std::string& key, const std::string& data) {
  return OutRecord{std::make_shared<const std::string>(data), key};
}

// Reserves and commits `data` (key "k<i>" for record i) as one input.
inline absl::Status Put(ModuleQueue& q, const std::vector<std::string>& data) {
  OutBatch batch;
  size_t bytes = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    batch.push_back(Rec(absl::StrCat("k", i), data[i]));
    bytes += batch.back().size();
  }
  QueueReservation r = q.Reserve(batch.size(), bytes);
  if (!r) return absl::ResourceExhaustedError("Reserve refused");
  return std::move(r).Commit(std::move(batch));
}

// Commits records "<prefix><i>" for i in [from, to), one input each.
inline void PutRange(ModuleQueue& q, const std::string& prefix, int from,
                     int to) {
  for (int i = from; i < to; ++i) {
    ASSERT_TRUE(Put(q, {absl::StrCat(prefix, i)}).ok()) << i;
  }
}

// Runs a batch's completion as a sink does once all `n` records of it are
// delivered (n = 0 for an empty batch).
inline void Delivered(DeliveryDone done, uint64_t n) {
  DeliveryReport report;
  report.delivered = n;
  std::move(done)(report);
}

// A popped batch whose completion the test runs later.
struct PendingBatch {
  DeliveryDone done;
  uint64_t records = 0;
  void Deliver() { Delivered(std::move(done), records); }
};

// Pops everything readable now; reports each batch delivered unless told
// not to (the batches are then returned through `pending`).
inline std::vector<std::string> PopAll(
    ModuleQueue& q, size_t max_records = 1 << 20,
    std::vector<PendingBatch>* pending = nullptr) {
  std::vector<std::string> out;
  while (true) {
    QueueBatch b;
    if (!q.Pop(b, max_records, absl::ZeroDuration())) break;
    const bool empty = b.records.empty();
    for (const OutRecord& r : b.records) out.push_back(*r.data);
    if (pending != nullptr && !empty) {
      pending->push_back(PendingBatch{std::move(b.done), b.records.size()});
    } else {
      Delivered(std::move(b.done), b.records.size());
    }
    if (empty && q.depth() == 0) break;
  }
  return out;
}

inline std::vector<std::string> Range(const std::string& prefix, int from,
                                      int to) {
  std::vector<std::string> v;
  for (int i = from; i < to; ++i) v.push_back(absl::StrCat(prefix, i));
  return v;
}

// Waits (bounded) until `pred` holds; for effects of the background thread.
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return pred();
}

inline uint64_t FileSize(const std::string& path) {
  return std::filesystem::file_size(path);
}

// Segment files in the spool directory, sorted.
inline std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> v;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("seg-", 0) == 0) v.push_back(e.path().string());
  }
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace testing
}  // namespace streamgate
