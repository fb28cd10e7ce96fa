// GatewayStatus: a read-only view of the running gateway's modules — their
// configuration, counters, state and recent log — for the Admin service
// (adapters/grpc/admin_service.h) and other status pages. Implemented by
// the core's Pipeline.
//
// Threading: every method is thread-safe and returns copies.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "spdlog/common.h"

namespace streamgate {

struct LogEntry {
  absl::Time time;
  spdlog::level::level_enum level = spdlog::level::info;
  std::string message;
};

struct ModuleStatus {
  std::string id;
  std::string description;
  std::string sink_type;
  std::vector<std::string> subscribe_events;  // "*" first when it takes all
  absl::optional<std::string> bulk_data_label;
  bool use_uuid = false;

  uint64_t records_accepted = 0;       // taken into the module's queue
  uint64_t bytes_accepted = 0;
  uint64_t records_rejected_full = 0;  // refused: queue full
  uint64_t queue_depth = 0;            // waiting in the queue now
  uint64_t records_written = 0;        // handed to the sink
  uint64_t records_delivered = 0;      // stored at the destination
  uint64_t records_dead_lettered = 0;  // given up (dead-letter file)
  uint64_t records_retried = 0;        // extra delivery attempts
  uint64_t errors_logged = 0;          // ERROR entries in the module's log

  // "running"; "failing" while the newest ERROR entry is under a minute
  // old; "stopped" once the gateway is shutting down.
  std::string state;
  absl::optional<LogEntry> last_error;
};

class GatewayStatus {
 public:
  virtual ~GatewayStatus() = default;

  virtual std::vector<ModuleStatus> Modules() const = 0;

  // The newest `limit` entries of a module's log at `min_level` or above,
  // oldest first. NOT_FOUND for an unknown module.
  virtual absl::StatusOr<std::vector<LogEntry>> ModuleLog(
      absl::string_view module_id, spdlog::level::level_enum min_level,
      size_t limit) const = 0;
};

}  // namespace streamgate
