// Ingester: the Ingest implementation (see gateway/api/ingest.h for the
// contract). Validates, resolves from the device registry, renders each event
// once and shares the bytes across every module it fans out to, decodes bulk
// MessagePack, assigns each module's partition keys, and submits through the
// Router all-or-nothing. Each input routes through one RouteTable snapshot,
// so a reload's module swap never splits an input between two tables.
//
// Threading: all methods are thread-safe and non-blocking (the blocking ones
// wait only for a spool's commit); the *Async completions run where
// Router::SubmitAsync's do.
#pragma once

#include <atomic>
#include <cstdint>

#include "absl/types/optional.h"
#include "gateway/api/ingest.h"
#include "gateway/core/device_registry.h"
#include "gateway/core/router.h"
#include "gateway/core/router_table.h"

namespace streamgate {

// Counters of what the door refused, by reason.
struct IngestStats {
  std::atomic<uint64_t> events_accepted{0};
  std::atomic<uint64_t> bulk_records_accepted{0};
  std::atomic<uint64_t> unrouted{0};     // accepted, no module matched
  std::atomic<uint64_t> invalid{0};      // INVALID_ARGUMENT
  std::atomic<uint64_t> exhausted{0};    // RESOURCE_EXHAUSTED
  std::atomic<uint64_t> unavailable{0};  // while draining
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
  void PublishEventsAsync(absl::Span<const EventInput> events,
                          const Caller& caller, IngestDone done) override;
  void PublishBulkAsync(const BulkInput& bulk, const Caller& caller,
                        IngestDone done) override;

  // After this every publish returns UNAVAILABLE (shutdown).
  void StopAccepting() { draining_.store(true, std::memory_order_release); }

  // SIGHUP: a new default_home_id (unset: none) for inputs from now on.
  void SetDefaultHomeId(absl::optional<int64_t> home_id) {
    default_home_id_.store(home_id.value_or(0), std::memory_order_relaxed);
  }

  const IngestStats& stats() const { return stats_; }

 private:
  absl::optional<int64_t> DefaultHomeId() const;
  // An input turned into module shares (ingester.cc).
  struct Planned;
  // What an accepted input adds to stats_ once it is queued.
  struct Tally {
    size_t accepted = 0;
    size_t unrouted = 0;
    bool bulk = false;
  };
  // Validate and fan an input out into `p`; a refusal, or OK.
  IngestResult PlanEvents(absl::Span<const EventInput> events,
                          const Caller& caller, Planned& p);
  IngestResult PlanBulk(const BulkInput& bulk, Planned& p);
  IngestResult Submit(IngestResult planned, Planned& p);
  void SubmitAsync(IngestResult planned, Planned& p, IngestDone done);
  // The answer once the router has queued the input (or not).
  IngestResult Settle(const Tally& tally, absl::Status submitted);
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
