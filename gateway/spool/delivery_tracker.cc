#include "gateway/spool/delivery_tracker.h"

namespace streamgate {
namespace spool {

uint64_t DeliveryTracker::Add(const Position& end, uint64_t bytes) {
  Batch b;
  b.id = next_id_++;
  b.end = end;
  b.bytes = bytes;
  inflight_.push_back(b);
  return b.id;
}

void DeliveryTracker::Settle(uint64_t id) {
  // Ids are consecutive from the front's, so the batch is found by index.
  if (inflight_.empty() || id < inflight_.front().id) return;
  const uint64_t index = id - inflight_.front().id;
  if (index >= inflight_.size()) return;
  inflight_[index].settled = true;
}

uint64_t DeliveryTracker::Advance() {
  uint64_t freed = 0;
  while (!inflight_.empty() && inflight_.front().settled) {
    watermark_ = inflight_.front().end;
    freed += inflight_.front().bytes;
    inflight_.pop_front();
  }
  return freed;
}

}  // namespace spool
}  // namespace streamgate
