#include "bench/grpc_load/stream_driver.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bench/grpc_load/mono_clock.h"

namespace streamgate::bench {
namespace {

constexpr int kResourceExhausted = 8;  // google.rpc.Code
constexpr size_t kPoolEvents = 1024;   // distinct events cycled through

gpr_timespec AtMonoNanos(int64_t when) {
  const int64_t wait = std::max<int64_t>(0, when - MonoNanos());
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_nanos(wait, GPR_TIMESPAN));
}

}  // namespace

StreamDriver::StreamDriver(streamgate::v1::Gateway::Stub& stub,
                           const LoadOptions& options, const EventFactory& events)
    : stub_(stub),
      options_(options),
      events_per_message_(options.mode == LoadMode::kBatch ? options.batch : 1) {
  const size_t messages =
      std::max<size_t>(8, kPoolEvents / static_cast<size_t>(events_per_message_));
  pool_.resize(messages);
  int64_t index = 0;
  for (auto& request : pool_) {
    if (options.mode == LoadMode::kBatch) {
      auto* batch = request.mutable_batch();
      for (int i = 0; i < events_per_message_; ++i) {
        *batch->add_events() = events.Make(index++);
      }
    } else {
      *request.mutable_event() = events.Make(index++);
    }
  }
}

bool StreamDriver::MayStartNew(int64_t now) const {
  if (broken_) return false;
  if (options_.count > 0) return stats_.events_sent < options_.count;
  return now < deadline_;
}

bool StreamDriver::HaveItem(int64_t now) const {
  if (broken_) return false;
  return (!retries_.empty() && retries_.front().due_nanos <= now) ||
         MayStartNew(now);
}

void StreamDriver::MaybeWrite() {
  if (writing_ || writes_done_ || broken_) return;
  const int64_t now = MonoNanos();
  if (burst_left_ == 0) {
    if (static_cast<int>(pending_.size()) > options_.window / 2) return;
    if (!HaveItem(now)) {
      if (!MayStartNew(now) && pending_.empty() && retries_.empty()) {
        writes_done_ = writing_ = true;
        stream_->WritesDone(reinterpret_cast<void*>(kWritesDone));
      }
      return;
    }
    burst_left_ = options_.window - static_cast<int>(pending_.size());
  }
  uint32_t pool_index;
  if (!retries_.empty() && retries_.front().due_nanos <= now) {
    pool_index = retries_.front().pool_index;
    retries_.pop_front();
    ++stats_.retries;
  } else {
    pool_index = static_cast<uint32_t>(next_pool_index_++ % pool_.size());
    stats_.events_sent += events_per_message_;
  }
  --burst_left_;
  // The burst's last write flushes; so does one with nothing behind it yet
  // (a hinted write would otherwise sit in the buffer until the next one).
  const bool last = burst_left_ == 0 || !HaveItem(now);
  if (last) burst_left_ = 0;
  streamgate::v1::PublishRequest& request = pool_[pool_index];
  const uint64_t id = next_id_++;
  request.set_id(id);  // Write() serializes now; the pool entry is reusable.
  pending_.emplace(id, Pending{now, pool_index});
  writing_ = true;
  grpc::WriteOptions write_options;
  if (!last) write_options.set_buffer_hint();
  stream_->Write(request, write_options, reinterpret_cast<void*>(kWrite));
}

void StreamDriver::HandleResponse(int64_t now) {
  auto it = pending_.find(response_.id());
  if (it == pending_.end()) {
    ++stats_.errors_by_code[-1];  // answer to an id we never sent
    return;
  }
  const Pending sent = it->second;
  pending_.erase(it);
  if (response_.code() == 0) {
    stats_.events_acked += events_per_message_;
    ++stats_.messages_acked;
    stats_.latency.Record(now - sent.sent_nanos);
  } else if (response_.code() == kResourceExhausted) {
    ++stats_.resource_exhausted;
    retries_.push_back(
        Retry{now + absl::ToInt64Nanoseconds(options_.backoff), sent.pool_index});
  } else {
    ++stats_.errors_by_code[response_.code()];
  }
}

void StreamDriver::Abort(std::string why) {
  if (stats_.fatal.empty()) stats_.fatal = std::move(why);
  broken_ = true;
  context_.TryCancel();
}

RunStats StreamDriver::Run() {
  stream_ = stub_.PrepareAsyncPublish(&context_, &cq_);
  stream_->StartCall(reinterpret_cast<void*>(kStart));
  const int64_t start = MonoNanos();
  deadline_ = start + absl::ToInt64Nanoseconds(options_.duration);
  const int64_t stall = absl::ToInt64Nanoseconds(options_.stall_timeout);
  int64_t last_progress = start;
  int64_t last_response = start;

  while (!finished_ || writing_ || reading_) {
    int64_t wake = last_progress + stall;
    if (!retries_.empty()) wake = std::min(wake, retries_.front().due_nanos);
    void* tag = nullptr;
    bool ok = false;
    const auto next = cq_.AsyncNext(&tag, &ok, AtMonoNanos(wake));
    const int64_t now = MonoNanos();
    if (next == grpc::CompletionQueue::SHUTDOWN) break;
    if (next == grpc::CompletionQueue::TIMEOUT) {
      if (now - last_progress >= stall && !broken_) {
        Abort(absl::StrCat("no progress for ",
                           absl::FormatDuration(options_.stall_timeout), " with ",
                           pending_.size(), " messages unanswered"));
      }
      MaybeWrite();
      continue;
    }
    last_progress = now;
    switch (static_cast<Tag>(reinterpret_cast<intptr_t>(tag))) {
      case kStart:
        if (!ok) {
          broken_ = true;  // the stream never started; Finish tells why
        } else {
          reading_ = true;
          stream_->Read(&response_, reinterpret_cast<void*>(kRead));
        }
        if (broken_) {
          finishing_ = true;
          stream_->Finish(&final_status_, reinterpret_cast<void*>(kFinish));
        }
        MaybeWrite();
        break;
      case kWrite:
        writing_ = false;
        if (!ok) {
          broken_ = true;  // the pending Read fails too and leads to Finish
        }
        MaybeWrite();
        break;
      case kWritesDone:
        writing_ = false;
        break;
      case kRead:
        if (ok) {
          last_response = now;
          HandleResponse(now);
          stream_->Read(&response_, reinterpret_cast<void*>(kRead));
          MaybeWrite();
        } else {
          reading_ = false;
          if (!writes_done_) broken_ = true;
          if (!finishing_) {
            finishing_ = true;
            stream_->Finish(&final_status_, reinterpret_cast<void*>(kFinish));
          }
        }
        break;
      case kFinish:
        finished_ = true;
        break;
    }
  }
  if (!final_status_.ok() && stats_.fatal.empty()) {
    stats_.fatal = absl::StrCat("stream ended with code ",
                                final_status_.error_code(), ": ",
                                final_status_.error_message());
  } else if (broken_ && stats_.fatal.empty()) {
    stats_.fatal = "stream closed before every message was answered";
  }
  if (!pending_.empty()) {
    absl::StrAppend(&stats_.fatal, " (", pending_.size(),
                    " messages never answered)");
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
