#include "bench/grpc_load/unary_driver.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bench/grpc_load/mono_clock.h"

namespace streamgate::bench {
namespace {

constexpr size_t kPoolSize = 1024;

gpr_timespec AtMonoNanos(int64_t when) {
  // CompletionQueue deadlines are wall-clock-relative; convert a monotonic
  // instant into "that far from now".
  const int64_t wait = std::max<int64_t>(0, when - MonoNanos());
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_nanos(wait, GPR_TIMESPAN));
}

}  // namespace

UnaryDriver::UnaryDriver(streamgate::v1::Gateway::Stub& stub,
                         const LoadOptions& options, const EventFactory& events)
    : stub_(stub), options_(options), calls_(options.inflight) {
  pool_.reserve(kPoolSize);
  for (size_t i = 0; i < kPoolSize; ++i) pool_.push_back(events.Make(i));
}

bool UnaryDriver::MayStartNew(int64_t now) const {
  if (cancelled_) return false;
  if (options_.count > 0) return stats_.events_sent < options_.count;
  return now < deadline_;
}

void UnaryDriver::Start(Call& call, size_t pool_index, int64_t now) {
  call.context = std::make_unique<grpc::ClientContext>();
  call.pool_index = pool_index;
  call.retry_at = 0;
  call.sent_nanos = now;
  call.reader =
      stub_.PrepareAsyncPublishEvent(call.context.get(), pool_[pool_index], &cq_);
  call.reader->StartCall();
  call.reader->Finish(&call.response, &call.status, &call);
  ++active_;
}

void UnaryDriver::StartDueRetries(int64_t now) {
  auto due = [now](const Call* c) { return c->retry_at <= now; };
  for (Call* call : waiting_) {
    if (!due(call)) continue;
    if (cancelled_) continue;
    ++stats_.retries;
    Start(*call, call->pool_index, now);
  }
  if (cancelled_) {
    waiting_.clear();
  } else {
    waiting_.erase(std::remove_if(waiting_.begin(), waiting_.end(), due),
                   waiting_.end());
  }
}

void UnaryDriver::CancelAll() {
  cancelled_ = true;
  for (Call& call : calls_) {
    if (call.context != nullptr) call.context->TryCancel();
  }
}

RunStats UnaryDriver::Run() {
  const int64_t start = MonoNanos();
  deadline_ = start + absl::ToInt64Nanoseconds(options_.duration);
  int64_t last_response = start;
  for (Call& call : calls_) {
    if (!MayStartNew(start)) break;
    ++stats_.events_sent;
    Start(call, next_pool_index_++ % pool_.size(), MonoNanos());
  }
  while (active_ > 0 || !waiting_.empty()) {
    int64_t wake = last_response + absl::ToInt64Nanoseconds(options_.stall_timeout);
    for (const Call* c : waiting_) wake = std::min(wake, c->retry_at);
    void* tag = nullptr;
    bool ok = false;
    const auto next = cq_.AsyncNext(&tag, &ok, AtMonoNanos(wake));
    int64_t now = MonoNanos();
    if (next == grpc::CompletionQueue::SHUTDOWN) break;
    if (next == grpc::CompletionQueue::TIMEOUT) {
      if (now - last_response >= absl::ToInt64Nanoseconds(options_.stall_timeout) &&
          !cancelled_) {
        stats_.fatal = absl::StrCat("no response for ",
                                    absl::FormatDuration(options_.stall_timeout));
        CancelAll();
      }
      StartDueRetries(now);
      continue;
    }
    Call& call = *static_cast<Call*>(tag);
    --active_;
    last_response = now;
    const grpc::StatusCode code = call.status.error_code();
    if (code == grpc::StatusCode::OK) {
      ++stats_.events_acked;
      ++stats_.messages_acked;
      stats_.latency.Record(now - call.sent_nanos);
    } else if (code == grpc::StatusCode::RESOURCE_EXHAUSTED && !cancelled_) {
      ++stats_.resource_exhausted;
      call.retry_at = now + absl::ToInt64Nanoseconds(options_.backoff);
      waiting_.push_back(&call);
    } else {
      ++stats_.errors_by_code[code];
      if (code == grpc::StatusCode::UNAVAILABLE && stats_.fatal.empty()) {
        stats_.fatal = absl::StrCat("UNAVAILABLE: ", call.status.error_message());
        CancelAll();
      }
    }
    if (call.retry_at == 0 && MayStartNew(now)) {
      ++stats_.events_sent;
      Start(call, next_pool_index_++ % pool_.size(), now);
    }
    if (!waiting_.empty()) StartDueRetries(now);
  }
  stats_.elapsed = absl::Nanoseconds(last_response - start);
  cq_.Shutdown();
  void* tag;
  bool ok;
  while (cq_.Next(&tag, &ok)) {
  }
  return std::move(stats_);
}

}  // namespace streamgate::bench
