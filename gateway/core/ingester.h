// Ingester: the Ingest implementation (see gateway/api/ingest.h for the
// contract). Validates, resolves from the device registry, renders each event
// once and shares the bytes across every module it fans out to, decodes bulk
// MessagePack, assigns each module's partition keys, and submits through the
// Router all-or-nothing.
//
// Threading: all methods are thread-safe and non-blocking.
#pragma once

#include <atomic>
#include <cstdint>

#include "gateway/core/device_registry.h"
#include "gateway/api/ingest.h"
#include "gateway/core/router.h"

namespace streamgate {

// Counters of what the door refused, by reason.
struct IngestStats {
  std::atomic<uint64_t> events_accepted{0};
  std::atomic<uint64_t> bulk_records_accepted{0};
  std::atomic<uint64_t> unrouted{0};         // accepted, no module matched
  std::atomic<uint64_t> invalid{0};          // INVALID_ARGUMENT
  std::atomic<uint64_t> exhausted{0};        // RESOURCE_EXHAUSTED
  std::atomic<uint64_t> unavailable{0};      // while draining
};

class Ingester : public Ingest {
 public:
  Ingester(const DeviceRegistry& registry, Router& router,
           size_t max_record_bytes);

  absl::Status PublishEvents(absl::Span<const EventInput> events,
                             const Caller& caller) override;
  absl::Status PublishBulk(const BulkInput& bulk,
                           const Caller& caller) override;
  absl::optional<int64_t> DeviceHome(int64_t device_id) const override;

  // After this every publish returns UNAVAILABLE (shutdown).
  void StopAccepting() { draining_.store(true, std::memory_order_release); }

  const IngestStats& stats() const { return stats_; }

 private:
  absl::Status PublishEventsImpl(absl::Span<const EventInput> events,
                                 const Caller& caller);
  absl::Status PublishBulkImpl(const BulkInput& bulk);
  absl::Status Count(absl::Status status);

  const DeviceRegistry& registry_;
  Router& router_;
  const size_t max_record_bytes_;
  std::atomic<bool> draining_{false};
  IngestStats stats_;
};

}  // namespace streamgate
