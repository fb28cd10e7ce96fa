// Ingester: the Ingest implementation (see gateway/api/ingest.h for the
// contract). Validates, resolves from the device registry, renders each event
// once and shares the bytes across every module it fans out to, decodes bulk
// MessagePack, assigns each module's partition keys, and submits through the
// Router all-or-nothing. Each input routes through one RouteTable snapshot,
// so a reload's module swap never splits an input between two tables.
//
// Threading: all methods are thread-safe and non-blocking.
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/types/optional.h"

#include "gateway/core/device_registry.h"
#include "gateway/api/ingest.h"
#include "gateway/core/router.h"
#include "gateway/core/router_table.h"

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
  // `max_records_per_input`: events of one batch, records of one bulk
  // input (limits.max_records_per_input); more is INVALID_ARGUMENT.
  // `default_home_id`: the home of a device the registry does not know,
  // for events that bring no home of their own, whichever door they came
  // through (EventInput::default_home_id overrides it). Unset: such an
  // event is refused (IngestReason::kUnknownDevice). Bulk data needs no
  // home, so it is accepted from any device.
  Ingester(const DeviceRegistry& registry, const RouteTable& routes,
           size_t max_record_bytes, size_t max_records_per_input = 10000,
           absl::optional<int64_t> default_home_id = absl::nullopt);

  IngestResult PublishEvents(absl::Span<const EventInput> events,
                             const Caller& caller) override;
  IngestResult PublishBulk(const BulkInput& bulk,
                           const Caller& caller) override;

  // After this every publish returns UNAVAILABLE (shutdown).
  void StopAccepting() { draining_.store(true, std::memory_order_release); }

  // SIGHUP: a new default_home_id (unset: none) for inputs from now on.
  void SetDefaultHomeId(absl::optional<int64_t> home_id) {
    default_home_id_.store(home_id.value_or(0), std::memory_order_relaxed);
  }

  const IngestStats& stats() const { return stats_; }

 private:
  IngestResult PublishEventsImpl(absl::Span<const EventInput> events,
                                 const Caller& caller);
  IngestResult PublishBulkImpl(const BulkInput& bulk);
  absl::optional<int64_t> DefaultHomeId() const;
  IngestResult Count(IngestResult result);
  IngestResult Draining();

  const DeviceRegistry& registry_;
  const RouteTable& routes_;
  const size_t max_record_bytes_;
  const size_t max_records_per_input_;
  // 0: unset (a configured default_home_id is at least 1).
  std::atomic<int64_t> default_home_id_;
  std::atomic<bool> draining_{false};
  IngestStats stats_;
};

}  // namespace streamgate
