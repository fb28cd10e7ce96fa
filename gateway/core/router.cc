#include "gateway/core/router.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/status_macros.h"
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

absl::Status Router::ReserveAll(const std::vector<ModuleShare>& shares,
                                absl::Span<QueueReservation> held) {
  for (size_t i = 0; i < shares.size(); ++i) {
    const ModuleShare& s = shares[i];
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
  return absl::OkStatus();
}

absl::Status Router::NamedError(const RoutedModule& m, absl::Status st) const {
  // A durable queue could not store it (disk full, I/O error): the caller
  // is not acknowledged. Name the module once (a spool's errors already
  // start with it).
  const std::string prefix = absl::StrCat("module '", m.id, "'");
  if (absl::StartsWith(st.message(), prefix)) return st;
  return absl::Status(st.code(), absl::StrCat(prefix, ": ", st.message()));
}

void Router::PublishShare(int i, QueueReservation& held, size_t records,
                          size_t bytes) {
  const RoutedModule& m = modules_[i];
  std::move(held).Publish();
  if (m.counters) {
    ModuleCounters::Add(m.counters->accepted_records, records);
    ModuleCounters::Add(m.counters->accepted_bytes, bytes);
  }
}

absl::Status Router::Submit(std::vector<ModuleShare>& shares) {
  // Reserve everywhere first; a refused reservation drops the ones already
  // held (their destructors give the room back), so nothing is queued.
  // Inline: one input touches a few modules, and this runs per input.
  absl::InlinedVector<QueueReservation, 8> held(shares.size());
  absl::InlinedVector<size_t, 8> counts(shares.size());
  RETURN_IF_ERROR(ReserveAll(shares, absl::MakeSpan(held)));
  // Then store everywhere (a spool writes and syncs, its consumer does not
  // see the records yet); a failure drops every reservation, which aborts
  // the prepared ones, so no module delivers an input the client was told
  // failed. Only then publish everywhere.
  for (size_t i = 0; i < shares.size(); ++i) {
    ModuleShare& s = shares[i];
    if (s.records.empty()) continue;
    counts[i] = s.records.size();
    absl::Status st = held[i].Prepare(std::move(s.records));
    if (!st.ok()) return NamedError(modules_[i], std::move(st));
  }
  for (size_t i = 0; i < shares.size(); ++i) {
    ModuleShare& s = shares[i];
    if (!held[i]) continue;
    PublishShare(static_cast<int>(i), held[i], counts[i], s.bytes);
    s.records.clear();
    s.bytes = 0;
  }
  return absl::OkStatus();
}

// The state of one SubmitAsync: its reservations (which must not move while
// their queues prepare) and the answers still awaited. The last answer
// finishes it and deletes it.
class Router::PendingSubmit {
 public:
  PendingSubmit(Router& router, size_t modules, SubmitDone done)
      : router_(router),
        held_(modules),
        counts_(modules),
        bytes_(modules),
        errors_(modules),
        done_(std::move(done)) {}

  absl::Status Reserve(const std::vector<ModuleShare>& shares) {
    return router_.ReserveAll(shares, absl::MakeSpan(held_));
  }
  SubmitDone TakeDone() { return std::move(done_); }

  // Stores every share; `waiting_` holds one extra count until all are
  // started, so no answer finishes the submit midway.
  void Start(std::vector<ModuleShare>& shares) {
    size_t started = 0;
    for (const ModuleShare& s : shares) started += s.records.empty() ? 0 : 1;
    waiting_.store(started + 1, std::memory_order_relaxed);
    for (size_t i = 0; i < shares.size(); ++i) {
      ModuleShare& s = shares[i];
      if (s.records.empty()) continue;
      counts_[i] = s.records.size();
      bytes_[i] = s.bytes;
      s.bytes = 0;
      // Each answer writes only its own slot; the acq_rel countdown makes
      // them visible to whoever finishes.
      held_[i].PrepareAsync(std::move(s.records), [this, i](absl::Status st) {
        errors_[i] = std::move(st);
        Arrive();
      });
      s.records.clear();
    }
    Arrive();
  }

 private:
  void Arrive() {
    if (waiting_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    // The first failing module in table order, so the message does not
    // depend on which spool answered first; dropping every reservation
    // aborts the prepared ones.
    for (size_t i = 0; i < errors_.size(); ++i) {
      if (errors_[i].ok()) continue;
      absl::Status st = router_.NamedError(router_.modules_[i], errors_[i]);
      held_.clear();
      Finish(std::move(st));
      return;
    }
    for (size_t i = 0; i < held_.size(); ++i) {
      if (!held_[i]) continue;
      router_.PublishShare(static_cast<int>(i), held_[i], counts_[i],
                           bytes_[i]);
    }
    Finish(absl::OkStatus());
  }

  void Finish(absl::Status st) {
    SubmitDone done = std::move(done_);
    delete this;
    done(std::move(st));
  }

  Router& router_;
  std::vector<QueueReservation> held_;
  std::vector<size_t> counts_;
  std::vector<size_t> bytes_;
  std::vector<absl::Status> errors_;
  std::atomic<size_t> waiting_{0};
  SubmitDone done_;
};

void Router::SubmitAsync(std::vector<ModuleShare>& shares, SubmitDone done) {
  auto pending =
      std::make_unique<PendingSubmit>(*this, shares.size(), std::move(done));
  // Reserve everywhere first, as Submit does; a refusal drops what was held.
  if (absl::Status st = pending->Reserve(shares); !st.ok()) {
    SubmitDone refused = pending->TakeDone();
    pending.reset();
    refused(std::move(st));
    return;
  }
  pending.release()->Start(shares);
}

}  // namespace streamgate
