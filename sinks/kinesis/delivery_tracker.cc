#include "sinks/kinesis/delivery_tracker.h"

#include <algorithm>

namespace streamgate::kinesis {
namespace {

using Finished = std::vector<std::pair<DeliveryDone, DeliveryReport>>;

void RunAll(Finished& finished) {
  for (auto& [done, report] : finished) {
    if (done) std::move(done)(report);
  }
}

}  // namespace

Tally& TallyOf(Tallies& tallies, uint64_t ticket) {
  if (!tallies.empty() && tallies.back().first == ticket) {
    return tallies.back().second;
  }
  auto it = std::find_if(tallies.begin(), tallies.end(),
                         [&](const auto& t) { return t.first == ticket; });
  if (it != tallies.end()) return it->second;
  tallies.emplace_back(ticket, Tally{});
  return tallies.back().second;
}

uint64_t DeliveryTracker::Open(size_t records, DeliveryDone done) {
  absl::MutexLock lock(&mu_);
  const uint64_t ticket = next_++;
  Ticket& t = open_[ticket];
  t.remaining = records;
  t.done = std::move(done);
  return ticket;
}

void DeliveryTracker::Settle(const Tallies& tallies) {
  if (tallies.empty()) return;
  Finished finished;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [ticket, tally] : tallies) {
      auto it = open_.find(ticket);
      if (it == open_.end()) continue;  // not possible; never crash on it
      Ticket& t = it->second;
      t.report.delivered += tally.delivered;
      t.report.dead_lettered += tally.dead_lettered;
      t.report.retries += tally.retries;
      t.remaining -= std::min(t.remaining, tally.delivered + tally.dead_lettered);
      if (t.remaining == 0) {
        finished.emplace_back(std::move(t.done), t.report);
        open_.erase(it);
      }
    }
  }
  RunAll(finished);
}

uint64_t DeliveryTracker::CloseAll() {
  Finished finished;
  uint64_t undelivered = 0;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [ticket, t] : open_) {
      t.report.undelivered = t.remaining;
      undelivered += t.remaining;
      finished.emplace_back(std::move(t.done), t.report);
    }
    open_.clear();
  }
  RunAll(finished);
  return undelivered;
}

}  // namespace streamgate::kinesis
