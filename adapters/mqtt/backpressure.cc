#include "adapters/mqtt/backpressure.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace streamgate {
namespace {

// Retry sleeps grow from 1 ms to this.
constexpr int64_t kMaxSleepMs = 50;

bool MustWait(IngestReason reason) {
  return reason == IngestReason::kFull || reason == IngestReason::kUnavailable;
}

}  // namespace

Backpressure::Backpressure(std::string broker, const StopSignal& stop,
                           MqttCounters& counters)
    : broker_(std::move(broker)), stop_(stop), counters_(counters) {}

absl::optional<IngestResult> Backpressure::Publish(
    absl::FunctionRef<IngestResult()> publish) {
  int64_t sleep_ms = 1;
  bool waited = false;
  IngestResult result;
  while (true) {
    result = publish();
    if (!MustWait(result.reason)) break;
    if (!waited) {
      waited = true;
      counters_.backpressure_waits.fetch_add(1, std::memory_order_relaxed);
      if (stall_started_ == absl::InfinitePast()) {
        stall_started_ = absl::Now();
        // The message is the core's (it names a module), not a device's.
        const absl::string_view why = result.message();
        spdlog::warn("mqtt: gateway full ({}); pausing intake from {}",
                     std::string_view(why.data(), why.size()), broker_);
      }
    }
    if (stop_.stopped()) return absl::nullopt;
    stop_.SleepFor(absl::Milliseconds(sleep_ms));
    sleep_ms = std::min(sleep_ms * 2, kMaxSleepMs);
  }
  if (stall_started_ != absl::InfinitePast()) {
    spdlog::info("mqtt: room again after {}; intake resumed",
                 absl::FormatDuration(absl::Now() - stall_started_));
    stall_started_ = absl::InfinitePast();
  }
  return result;
}

}  // namespace streamgate
