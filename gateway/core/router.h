// Router: the compiled module table. Maps an event type or a bulk label to
// the modules that take it ("*" handled without a lookup) and submits an
// input's records to all of them all-or-nothing: every queue reserves first,
// and if one is full none takes anything; then every queue prepares (a spool
// writes and syncs), and if one fails the prepared ones are aborted (never
// delivered); only then are they published. So a refused input is delivered
// nowhere and a client's retry duplicates nothing.
//
// SubmitAsync does the same without blocking its caller: the reservations
// are taken at once, every queue prepares asynchronously (a spool with
// fsync always answers from its commit thread after the group's
// fdatasync), and the last answer publishes or aborts all of them and runs
// the completion.
//
// Threading: immutable after construction except the queues and counters,
// which are thread-safe; Match* and Submit* may be called from any thread.
// SubmitAsync's completion runs on the calling thread before SubmitAsync
// returns, or on a queue's commit thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "gateway/api/record.h"
#include "gateway/common/log_limiter.h"
#include "gateway/common/template.h"
#include "gateway/core/config.h"
#include "gateway/core/module_counters.h"
#include "gateway/core/module_queue.h"
#include "spdlog/logger.h"

namespace streamgate {

// What the router needs of a module (gateway/core/module.h); tests route
// into bare queues. Everything outlives the router.
struct RoutedModule {
  std::string id;
  bool use_uuid = false;
  ModuleQueue* queue = nullptr;
  ModuleCounters* counters = nullptr;
  spdlog::logger* logger = nullptr;  // null: the default logger
  absl::optional<Template> partition_key;  // unset: use_uuid or spec 3
};

// One module's share of an input: records and their byte total.
struct ModuleShare {
  OutBatch records;
  size_t bytes = 0;
};

class Router {
 public:
  // `modules[i]` corresponds to `configs[i]`.
  Router(const std::vector<ModuleConfig>& configs,
         std::vector<RoutedModule> modules);

  // Indices of the modules an event type / a bulk label goes to.
  const std::vector<int>& MatchEvent(absl::string_view event_type) const;
  const std::vector<int>& MatchLabel(absl::string_view label) const;

  const RoutedModule& module(int index) const { return modules_[index]; }
  size_t size() const { return modules_.size(); }

  // Queues shares[i] into module i for every non-empty share, or nothing:
  // RESOURCE_EXHAUSTED naming the full module, or the error of the spool
  // that could not store it (named too). `shares` is consumed.
  absl::Status Submit(std::vector<ModuleShare>& shares);

  // Submit without blocking: `done` runs exactly once with what Submit
  // would return, once every module has stored its share (a refused
  // reservation: before this returns). `shares` is consumed.
  using SubmitDone = absl::AnyInvocable<void(absl::Status)>;
  void SubmitAsync(std::vector<ModuleShare>& shares, SubmitDone done);

 private:
  class PendingSubmit;
  void LogFull(const RoutedModule& m);
  // Reserves every non-empty share into `held`; RESOURCE_EXHAUSTED naming
  // the first full module (what was held is given back by the caller).
  absl::Status ReserveAll(const std::vector<ModuleShare>& shares,
                          absl::Span<QueueReservation> held);
  // A queue's Prepare error, with the module named once.
  absl::Status NamedError(const RoutedModule& m, absl::Status st) const;
  // Phase two for module i: publishes and counts.
  void PublishShare(int i, QueueReservation& held, size_t records,
                    size_t bytes);

  std::vector<RoutedModule> modules_;
  // A full queue refuses every input until it drains: one line per module
  // per interval, with the count held back.
  kinesis::LogLimiter full_log_{absl::Seconds(10)};
  absl::flat_hash_map<std::string, std::vector<int>> by_event_;
  std::vector<int> all_events_;  // modules with "*"
  absl::flat_hash_map<std::string, std::vector<int>> by_label_;
  std::vector<int> all_labels_;  // modules with bulk_data_label "*"
};

}  // namespace streamgate
