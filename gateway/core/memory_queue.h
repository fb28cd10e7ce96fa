// MemoryQueue: ModuleQueue bounded by a record count and a byte total, held
// in memory. The consumer is woken only when it is actually waiting, and
// takes everything queued at once, so a busy producer costs no futex wake-up
// per event. The byte bound counts what a record costs in memory, not only
// its data: each record is charged kRecordOverheadBytes more, so a million
// empty records cannot hide in a "32 MiB" queue. Thread-safe as ModuleQueue
// describes.
#pragma once

#include <deque>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "gateway/core/module_queue.h"

namespace streamgate {

class MemoryQueue : public ModuleQueue {
 public:
  MemoryQueue(size_t max_records, size_t max_bytes);

  // The memory a queued record costs beyond its data and key bytes: its
  // deque slot (OutRecord), the shared string with its control block, and
  // the allocator's headers.
  static constexpr size_t kRecordOverheadBytes = 128;

  bool Pop(QueueBatch& batch, size_t max_records, absl::Duration wait) override;
  void Close() override;
  size_t depth() const override;

 protected:
  bool DoReserve(size_t records, size_t bytes) override;
  void DoPublish(uint64_t ticket, OutBatch records, size_t bytes) override;
  void DoCancel(size_t records, size_t bytes) override;

 private:
  const size_t max_records_;
  const size_t max_bytes_;
  mutable absl::Mutex mu_;
  absl::CondVar ready_;
  std::deque<OutRecord> items_ ABSL_GUARDED_BY(mu_);
  // Records and bytes queued or reserved.
  size_t used_records_ ABSL_GUARDED_BY(mu_) = 0;
  size_t used_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool consumer_waiting_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace streamgate
