#include "gateway/core/router.h"

#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace streamgate {
namespace {

void AddSorted(std::vector<int>& v, int i) {
  if (std::find(v.begin(), v.end(), i) == v.end()) {
    v.insert(std::upper_bound(v.begin(), v.end(), i), i);
  }
}

}  // namespace

Router::Router(const std::vector<ModuleConfig>& configs,
               std::vector<RoutedModule> modules)
    : modules_(std::move(modules)) {
  for (size_t i = 0; i < configs.size(); ++i) {
    const ModuleConfig& c = configs[i];
    const int idx = static_cast<int>(i);
    if (c.all_events) all_events_.push_back(idx);
    if (c.bulk_data_label && *c.bulk_data_label == "*") {
      all_labels_.push_back(idx);
    }
  }
  // Every specific entry also carries the wildcard modules, so a match is
  // one lookup returning the complete list.
  for (size_t i = 0; i < configs.size(); ++i) {
    const ModuleConfig& c = configs[i];
    for (const std::string& t : c.subscribe_events) {
      auto [it, fresh] = by_event_.try_emplace(t, all_events_);
      AddSorted(it->second, static_cast<int>(i));
    }
    if (c.bulk_data_label && *c.bulk_data_label != "*") {
      auto [it, fresh] = by_label_.try_emplace(*c.bulk_data_label, all_labels_);
      AddSorted(it->second, static_cast<int>(i));
    }
  }
}

const std::vector<int>& Router::MatchEvent(absl::string_view event_type) const {
  auto it = by_event_.find(event_type);
  return it == by_event_.end() ? all_events_ : it->second;
}

const std::vector<int>& Router::MatchLabel(absl::string_view label) const {
  auto it = by_label_.find(label);
  return it == by_label_.end() ? all_labels_ : it->second;
}

void Router::LogFull(const RoutedModule& m) {
  uint64_t held_back = 0;
  if (!full_log_.Allow(m.id, absl::Now(), held_back)) return;
  spdlog::logger* log = m.logger ? m.logger : spdlog::default_logger_raw();
  if (held_back > 0) {
    log->warn(
        "queue is full; inputs refused with RESOURCE_EXHAUSTED "
        "({} more since the last line)",
        held_back);
  } else {
    log->warn("queue is full; inputs refused with RESOURCE_EXHAUSTED");
  }
}

absl::Status Router::Submit(std::vector<ModuleShare>& shares) {
  // Reserve everywhere first; a refused reservation drops the ones already
  // held (their destructors give the room back), so nothing is queued.
  // Inline: one input touches a few modules, and this runs per input.
  absl::InlinedVector<QueueReservation, 8> held(shares.size());
  absl::InlinedVector<size_t, 8> counts(shares.size());
  for (size_t i = 0; i < shares.size(); ++i) {
    ModuleShare& s = shares[i];
    if (s.records.empty()) continue;
    const RoutedModule& m = modules_[i];
    held[i] = m.queue->Reserve(s.records.size(), s.bytes);
    if (!held[i]) {
      if (m.counters) ModuleCounters::Add(m.counters->rejected_full, 1);
      LogFull(m);
      return absl::ResourceExhaustedError(
          absl::StrCat("module '", m.id, "' queue is full; retry later"));
    }
  }
  // Then store everywhere (a spool writes and syncs, its consumer does not
  // see the records yet); a failure drops every reservation, which aborts
  // the prepared ones, so no module delivers an input the client was told
  // failed. Only then publish everywhere.
  for (size_t i = 0; i < shares.size(); ++i) {
    ModuleShare& s = shares[i];
    if (s.records.empty()) continue;
    const RoutedModule& m = modules_[i];
    counts[i] = s.records.size();
    absl::Status st = held[i].Prepare(std::move(s.records));
    if (!st.ok()) {
      // A durable queue could not store it (disk full, I/O error): the
      // caller is not acknowledged. Name the module once (a spool's errors
      // already start with it).
      const std::string prefix = absl::StrCat("module '", m.id, "'");
      if (absl::StartsWith(st.message(), prefix)) return st;
      return absl::Status(st.code(), absl::StrCat(prefix, ": ", st.message()));
    }
  }
  for (size_t i = 0; i < shares.size(); ++i) {
    ModuleShare& s = shares[i];
    if (!held[i]) continue;
    const RoutedModule& m = modules_[i];
    std::move(held[i]).Publish();
    if (m.counters) {
      ModuleCounters::Add(m.counters->accepted_records, counts[i]);
      ModuleCounters::Add(m.counters->accepted_bytes, s.bytes);
    }
    s.records.clear();
    s.bytes = 0;
  }
  return absl::OkStatus();
}

}  // namespace streamgate
