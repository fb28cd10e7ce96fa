#include "tools/sim/sim_stats.h"

#include <algorithm>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace streamgate::sim {

void SimStats::Failed(const std::string& code, int64_t messages,
                      int64_t records, absl::string_view message) {
  messages_failed_.fetch_add(messages, std::memory_order_relaxed);
  records_failed_.fetch_add(records, std::memory_order_relaxed);
  absl::MutexLock lock(&mu_);
  failed_by_code_[code] += messages;
  if (!message.empty()) first_reason_.emplace(code, std::string(message));
}

std::string SimStats::FailureReasons() const {
  absl::MutexLock lock(&mu_);
  std::string out;
  for (const auto& [code, reason] : first_reason_) {
    absl::StrAppend(&out, "first ", code, ": ", reason, "\n");
  }
  return out;
}

void SimStats::StartReporter() {
  reporter_ = std::thread([this] {
    int64_t last_sent = 0, last_acked = 0, last_failed = 0;
    for (int second = 1; !stop_.WaitForNotificationWithTimeout(absl::Seconds(1));
         ++second) {
      const int64_t sent = messages_sent(), acked = messages_acked(),
                    failed = messages_failed();
      std::printf("t=%ds sent=%lld/s acked=%lld/s failed=%lld/s total_sent=%lld "
                  "records=%lld\n",
                  second, static_cast<long long>(sent - last_sent),
                  static_cast<long long>(acked - last_acked),
                  static_cast<long long>(failed - last_failed),
                  static_cast<long long>(sent),
                  static_cast<long long>(records_sent_.load()));
      std::fflush(stdout);
      last_sent = sent;
      last_acked = acked;
      last_failed = failed;
    }
  });
}

void SimStats::StopReporter() {
  if (!reporter_.joinable()) return;
  stop_.Notify();
  reporter_.join();
}

void SimStats::Refused(const std::string& code, int64_t messages,
                       int64_t records, absl::string_view message) {
  messages_acked_.fetch_sub(std::min(messages, messages_acked_.load()));
  records_acked_.fetch_sub(std::min(records, records_acked_.load()));
  Failed(code, messages, records, message);
}

std::string SimStats::Summary(const std::string& transport,
                              double seconds) const {
  std::string out = absl::StrFormat(
      "SUMMARY transport=%s sent_messages=%d sent_records=%d "
      "acked_messages=%d acked_records=%d failed_messages=%d "
      "failed_records=%d seconds=%.3f rate=%.0f",
      transport, messages_sent_.load(), records_sent_.load(),
      messages_acked_.load(), records_acked_.load(), messages_failed_.load(),
      records_failed_.load(), seconds,
      seconds > 0 ? messages_sent_.load() / seconds : 0.0);
  absl::MutexLock lock(&mu_);
  for (const auto& [code, n] : failed_by_code_) {
    absl::StrAppend(&out, " failed_", code, "=", n);
  }
  return out;
}

}  // namespace streamgate::sim
