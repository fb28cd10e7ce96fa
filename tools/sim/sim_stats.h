// SimStats: what the simulator sent and what came back, counted by the
// sender and acknowledgement threads and printed once a second by a
// reporter thread, then as a final SUMMARY line (key=value pairs, parsed by
// tests/tools).
//
// Thread-safe: counters are atomics; failures by code under a mutex.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace streamgate::sim {

class SimStats {
 public:
  SimStats() = default;
  ~SimStats() { StopReporter(); }

  // A message (event or bulk payload) of `records` records was sent.
  void Sent(int64_t messages, int64_t records) {
    messages_sent_.fetch_add(messages, std::memory_order_relaxed);
    records_sent_.fetch_add(records, std::memory_order_relaxed);
  }
  // The peer accepted it (gRPC OK, MQTT PUBACK or written for QoS 0).
  void Acked(int64_t messages, int64_t records) {
    messages_acked_.fetch_add(messages, std::memory_order_relaxed);
    records_acked_.fetch_add(records, std::memory_order_relaxed);
  }
  // It failed; `code` is a gRPC code name or an MQTT error, `message` the
  // peer's reason (the first one per code is kept for FailureReasons).
  void Failed(const std::string& code, int64_t messages, int64_t records,
              absl::string_view message = "");

  // Acked by the broker but refused by the gateway (known from its
  // config): moved from acked to failed under `code`.
  void Refused(const std::string& code, int64_t messages, int64_t records,
               absl::string_view message);

  int64_t messages_sent() const { return messages_sent_.load(); }
  int64_t messages_acked() const { return messages_acked_.load(); }
  int64_t messages_failed() const { return messages_failed_.load(); }

  // Prints "t=Ns sent=... acked=... failed=..." per second to stdout.
  void StartReporter();
  void StopReporter();

  // The final line: SUMMARY transport=... sent_messages=... sent_records=...
  // acked_messages=... acked_records=... failed_messages=...
  // failed_records=... seconds=... rate=... [failed_<CODE>=n ...]
  std::string Summary(const std::string& transport, double seconds) const;

  // One line per failure code with the first reason seen, e.g.
  // "first INVALID_ARGUMENT: event.homeId: device 1 is not registered ...";
  // empty when nothing failed or no reason was given.
  std::string FailureReasons() const;

 private:
  std::atomic<int64_t> messages_sent_{0};
  std::atomic<int64_t> records_sent_{0};
  std::atomic<int64_t> messages_acked_{0};
  std::atomic<int64_t> records_acked_{0};
  std::atomic<int64_t> messages_failed_{0};
  std::atomic<int64_t> records_failed_{0};
  mutable absl::Mutex mu_;
  std::map<std::string, int64_t> failed_by_code_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> first_reason_ ABSL_GUARDED_BY(mu_);
  std::thread reporter_;
  absl::Notification stop_;
};

}  // namespace streamgate::sim
