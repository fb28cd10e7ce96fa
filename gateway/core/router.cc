#include "gateway/core/router.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

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

absl::Status Router::Submit(std::vector<ModuleShare>& shares) {
  size_t reserved = 0;
  for (; reserved < shares.size(); ++reserved) {
    ModuleShare& s = shares[reserved];
    if (s.records.empty()) continue;
    const RoutedModule& m = modules_[reserved];
    if (!m.queue->TryReserve(s.records.size(), s.bytes)) {
      m.stats->rejected_full.fetch_add(1, std::memory_order_relaxed);
      for (size_t j = 0; j < reserved; ++j) {
        if (!shares[j].records.empty()) {
          modules_[j].queue->Cancel(shares[j].records.size(), shares[j].bytes);
        }
      }
      return absl::ResourceExhaustedError(absl::StrCat(
          "module '", m.id, "' queue is full; retry later"));
    }
  }
  for (size_t i = 0; i < shares.size(); ++i) {
    ModuleShare& s = shares[i];
    if (s.records.empty()) continue;
    const RoutedModule& m = modules_[i];
    const size_t records = s.records.size();
    const size_t bytes = s.bytes;
    absl::Status st = m.queue->TryCommit(std::move(s.records), bytes);
    s.records.clear();
    s.bytes = 0;
    if (!st.ok()) {
      // A durable queue could not store it (disk full, I/O error): the
      // caller is not acknowledged. Modules before this one already hold the
      // input, so a retry duplicates there (at-least-once); the reservations
      // after it are given back.
      for (size_t j = i + 1; j < shares.size(); ++j) {
        if (!shares[j].records.empty()) {
          modules_[j].queue->Cancel(shares[j].records.size(), shares[j].bytes);
        }
      }
      // Name the module once (a spool's errors already start with it).
      const std::string prefix = absl::StrCat("module '", m.id, "'");
      if (absl::StartsWith(st.message(), prefix)) return st;
      return absl::Status(st.code(),
                          absl::StrCat(prefix, ": ", st.message()));
    }
    m.stats->accepted_records.fetch_add(records, std::memory_order_relaxed);
    m.stats->accepted_bytes.fetch_add(bytes, std::memory_order_relaxed);
  }
  return absl::OkStatus();
}

}  // namespace streamgate
