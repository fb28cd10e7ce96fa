// RecordingQueue: a ModuleQueue fake for router tests. It refuses
// reservations on demand and keeps a ledger of reservations, commits and
// cancellations, so a test can check that a refused input left no
// reservation behind and committed nothing anywhere. Only the router's side
// (Reserve / Prepare / Publish / a dropped reservation) is meaningful; Pop just
// hands back what was published. It can also fail Prepare on demand (a spool
// that cannot write), and hold back the answers of PrepareAsync until the
// test releases them (a spool waiting for its sync). Thread-safe (one
// mutex).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gateway/core/module_queue.h"

namespace streamgate {
namespace testing {

class RecordingQueue : public ModuleQueue {
 public:
  // When false, every Reserve fails (a full queue).
  void set_accepting(bool accepting) {
    absl::MutexLock l(&mu_);
    accepting_ = accepting;
  }

  // When set, every Prepare fails with this status (a spool's write error).
  void set_commit_error(absl::Status error) {
    absl::MutexLock l(&mu_);
    commit_error_ = std::move(error);
  }

  // When true, PrepareAsync's answers wait for AnswerDeferred.
  void set_defer_async(bool defer) {
    absl::MutexLock l(&mu_);
    defer_async_ = defer;
  }
  // Runs the held-back PrepareAsync answers, oldest first; how many.
  size_t AnswerDeferred() {
    std::vector<std::pair<absl::StatusOr<uint64_t>, PrepareDone>> answers;
    {
      absl::MutexLock l(&mu_);
      answers.swap(deferred_);
    }
    for (auto& [result, done] : answers) done(std::move(result));
    return answers.size();
  }

  bool Pop(QueueBatch& out, size_t max_records, absl::Duration) override {
    absl::MutexLock l(&mu_);
    out.records = std::move(committed_);
    out.done = [](const DeliveryReport&) {};
    committed_.clear();
    return true;
  }
  void Close() override {}
  size_t depth() const override {
    absl::MutexLock l(&mu_);
    return committed_.size();
  }

 protected:
  bool DoReserve(size_t records, size_t bytes) override {
    absl::MutexLock l(&mu_);
    ++reserve_calls_;
    if (!accepting_) return false;
    reserved_records_ += records;
    reserved_bytes_ += bytes;
    return true;
  }
  absl::StatusOr<uint64_t> DoPrepare(OutBatch& records, size_t bytes) override {
    absl::MutexLock l(&mu_);
    if (commit_error_.ok()) return 0;
    reserved_records_ -= records.size();
    reserved_bytes_ -= bytes;
    return commit_error_;
  }
  void DoPrepareAsync(OutBatch& records, size_t bytes,
                      PrepareDone done) override {
    absl::StatusOr<uint64_t> result = DoPrepare(records, bytes);
    {
      absl::MutexLock l(&mu_);
      if (defer_async_) {
        deferred_.emplace_back(std::move(result), std::move(done));
        return;
      }
    }
    done(std::move(result));
  }
  void DoPublish(uint64_t, OutBatch records, size_t bytes) override {
    absl::MutexLock l(&mu_);
    reserved_records_ -= records.size();
    reserved_bytes_ -= bytes;
    committed_bytes_ += bytes;
    for (OutRecord& r : records) committed_.push_back(std::move(r));
  }
  void DoAbort(uint64_t, size_t records, size_t bytes) override {
    absl::MutexLock l(&mu_);
    ++abort_calls_;
    reserved_records_ -= records;
    reserved_bytes_ -= bytes;
  }
  void DoCancel(size_t records, size_t bytes) override {
    absl::MutexLock l(&mu_);
    ++cancel_calls_;
    reserved_records_ -= records;
    reserved_bytes_ -= bytes;
  }

 public:
  // Reserved but neither committed nor cancelled.
  long outstanding_records() const {
    absl::MutexLock l(&mu_);
    return reserved_records_;
  }
  long outstanding_bytes() const {
    absl::MutexLock l(&mu_);
    return reserved_bytes_;
  }
  size_t committed_bytes() const {
    absl::MutexLock l(&mu_);
    return committed_bytes_;
  }
  int reserve_calls() const {
    absl::MutexLock l(&mu_);
    return reserve_calls_;
  }
  int cancel_calls() const {
    absl::MutexLock l(&mu_);
    return cancel_calls_;
  }
  // Prepared inputs dropped unpublished.
  int abort_calls() const {
    absl::MutexLock l(&mu_);
    return abort_calls_;
  }
  OutBatch committed() const {
    absl::MutexLock l(&mu_);
    return committed_;
  }

 private:
  mutable absl::Mutex mu_;
  bool accepting_ ABSL_GUARDED_BY(mu_) = true;
  absl::Status commit_error_ ABSL_GUARDED_BY(mu_);
  long reserved_records_ ABSL_GUARDED_BY(mu_) = 0;
  long reserved_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  size_t committed_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int reserve_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int cancel_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int abort_calls_ ABSL_GUARDED_BY(mu_) = 0;
  OutBatch committed_ ABSL_GUARDED_BY(mu_);
  bool defer_async_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::pair<absl::StatusOr<uint64_t>, PrepareDone>> deferred_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace testing
}  // namespace streamgate
