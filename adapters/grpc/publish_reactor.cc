#include "adapters/grpc/publish_reactor.h"

#include <malloc.h>

#include <atomic>
#include <utility>

#include "absl/time/clock.h"
#include "adapters/grpc/request_parser.h"
#include "adapters/grpc/stream_item.h"

namespace streamgate {

PublishReactor::PublishReactor(Ingest &ingest, size_t window,
                               AuthenticatedCaller caller, DoorRejects &rejects,
                               RejectLog &log, std::string peer)
    : ingest_(ingest),
      rejects_(rejects),
      log_(log),
      window_(window),
      caller_(std::move(caller)),
      peer_(std::move(peer)) {
  StartRead(&read_);
}

namespace {

// An item bigger than this on the wire (a large batch) is not kept for
// reuse: the parsed message and the inputs built from it would otherwise
// stay allocated, at their largest, for the stream's whole life.
constexpr size_t kKeepItemBytes = 64 << 10;

}  // namespace

void PublishReactor::ReleaseLargeBuffers(size_t item_bytes) {
  if (item_bytes <= kKeepItemBytes) return;
  request_ = v1::PublishRequest();
  std::vector<EventInput>().swap(scratch_);
  // glibc keeps freed memory in the callback thread's arena: hand it back
  // to the system, at most once a second whatever clients send.
  static std::atomic<int64_t> last_trim_ns{0};
  const int64_t now = absl::GetCurrentTimeNanos();
  int64_t last = last_trim_ns.load(std::memory_order_relaxed);
  if (now - last >= 1000000000 &&
      last_trim_ns.compare_exchange_strong(last, now)) {
    malloc_trim(0);
  }
}

void PublishReactor::Handle(Slot* slot) {
  v1::PublishResponse resp;
  const size_t item_bytes = read_.Valid() ? read_.Length() : 0;
  absl::Status parsed = ParseRequest(read_, request_);
  if (!parsed.ok()) {
    // The id is field 1; an item whose bytes do not parse may still carry
    // it, and without it the client cannot tell which item failed.
    const uint64_t id = PeekVarintField(read_, 1).value_or(0);
    read_.Clear();
    log_.Unparsable(GatewayRpc::kPublish, peer_, parsed.message());
    resp.set_id(id);
    resp.set_code(static_cast<int32_t>(parsed.code()));
    resp.set_message(std::string(parsed.message()));
    ReleaseLargeBuffers(item_bytes);
    Answer(slot, resp);
    return;
  }
  read_.Clear();
  const uint64_t id = request_.id();
  HandlePublishItem(
      request_, ingest_, rejects_, Caller{caller_.key_id, caller_.key_name},
      scratch_, [this, slot, id](ItemOutcome out) {
        v1::PublishResponse resp;
        resp.set_id(id);
        resp.set_code(static_cast<int32_t>(out.status.code()));
        if (out.status.ok()) {
          resp.set_records(out.records);
        } else {
          resp.set_message(std::string(out.status.message()));
          // Logged as a unary call's rejection is: input the client must
          // fix.
          if (out.status.code() == absl::StatusCode::kInvalidArgument) {
            log_.StreamItemRejected(peer_, id, out.kind, out.reason,
                                    out.status.message());
          }
        }
        Answer(slot, resp);
      });
  // scratch_ points into request_: both go only once Ingest has taken the
  // item (it keeps no view of them).
  ReleaseLargeBuffers(item_bytes);
}

void PublishReactor::Answer(Slot* slot, const v1::PublishResponse& resp) {
  grpc::ByteBuffer bytes;
  const bool serialized = SerializeResponse(resp, bytes).ok();
  absl::MutexLock lock(&mu_);
  --unanswered_;
  if (!serialized) {
    // Only a message over 2 GiB fails; end the stream rather than answer
    // out of order.
    broken_ = true;
  } else {
    slot->bytes = std::move(bytes);
    slot->ready = true;
    MaybeWriteLocked();
  }
  MaybeFinishLocked();
}

void PublishReactor::OnReadDone(bool ok) {
  Slot* slot;
  {
    absl::MutexLock lock(&mu_);
    if (!ok) {
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    // A read that completed as the stream broke: never acknowledged, so
    // not taken either (Finish may not wait for it).
    if (broken_ || finished_) {
      read_.Clear();
      return;
    }
    pending_.emplace_back();
    slot = &pending_.back();
    ++unanswered_;
  }
  Handle(slot);
  absl::MutexLock lock(&mu_);
  if (broken_) return;
  if (pending_.size() >= window_) {
    read_paused_ = true;  // resumed by OnWriteDone at half the window
  } else {
    StartRead(&read_);
  }
}

void PublishReactor::MaybeWriteLocked() {
  if (writing_ || pending_.empty() || !pending_.front().ready || broken_) {
    return;
  }
  writing_ = true;
  grpc::WriteOptions options;
  if (pending_.size() > 1 && pending_[1].ready) options.set_buffer_hint();
  StartWrite(&pending_.front().bytes, options);
}

void PublishReactor::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  writing_ = false;
  pending_.pop_front();
  if (!ok) {
    broken_ =
        true;  // the client went away; its unanswered items are lost to it
    MaybeFinishLocked();
    return;
  }
  MaybeWriteLocked();
  if (read_paused_ && pending_.size() <= window_ / 2) {
    read_paused_ = false;
    StartRead(&read_);
  }
  MaybeFinishLocked();
}

void PublishReactor::MaybeFinishLocked() {
  // An answer still to come refers to this reactor, which OnDone deletes.
  if (finished_ || writing_ || unanswered_ > 0) return;
  if (broken_ || (reads_done_ && pending_.empty())) {
    finished_ = true;
    Finish(broken_ ? grpc::Status(grpc::StatusCode::CANCELLED, "stream broken")
                   : grpc::Status::OK);
  }
}

void PublishReactor::OnDone() { delete this; }

}  // namespace streamgate
