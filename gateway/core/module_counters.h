// ModuleCounters: one module's counters, written by the router (accepted,
// refused) and the module's worker (written, and settled by the sink's
// delivery reports), read by /metrics and the Admin service. Delivered and
// dead-lettered come from DeliveryReports alone: one source for both views.
//
// Threading: relaxed atomics, any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace streamgate {

struct ModuleCounters {
  std::atomic<uint64_t> accepted_records{0};
  std::atomic<uint64_t> accepted_bytes{0};
  std::atomic<uint64_t> rejected_full{0};
  std::atomic<uint64_t> written_records{0};  // handed to the sink
  std::atomic<uint64_t> written_bytes{0};
  std::atomic<uint64_t> delivered{0};
  std::atomic<uint64_t> dead_lettered{0};
  std::atomic<uint64_t> undelivered{0};      // left unsettled at close
  std::atomic<uint64_t> retries{0};

  static uint64_t Get(const std::atomic<uint64_t>& v) {
    return v.load(std::memory_order_relaxed);
  }
  static void Add(std::atomic<uint64_t>& v, uint64_t n) {
    v.fetch_add(n, std::memory_order_relaxed);
  }
};

}  // namespace streamgate
