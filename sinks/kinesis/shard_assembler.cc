#include "sinks/kinesis/shard_assembler.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace streamgate::kinesis {
namespace {

struct Later {
  bool operator()(const PendingRecord& a, const PendingRecord& b) const {
    return a.not_before > b.not_before;
  }
};

}  // namespace

// The request's room and the shard's tokens, charged as the packer emits.
class ShardAssembler::Budget : public PackBudget {
 public:
  Budget(const Limits& limits, Shard& shard, PendingBatch& out, size_t& bytes,
         absl::Time now)
      : limits_(limits), shard_(shard), out_(out), bytes_(bytes), now_(now) {}

  bool Fits(size_t bytes) override {
    if (out_.size() >= limits_.max_records) return false;
    // A record bigger than a request travels alone.
    if (!out_.empty() && bytes_ + bytes > limits_.max_bytes) return false;
    return !shard_.limited || shard_.limiter.CanSend(bytes, now_);
  }
  void Take(size_t bytes) override {
    bytes_ += bytes;
    if (shard_.limited) shard_.limiter.Sent(bytes, now_);
    ++shard_.stats.records_sent;
    shard_.stats.bytes_sent += bytes;
  }

 private:
  const Limits& limits_;
  Shard& shard_;
  PendingBatch& out_;
  size_t& bytes_;
  const absl::Time now_;
};

ShardAssembler::ShardAssembler(Limits limits, RateLimit rate,
                               std::unique_ptr<RecordPacker> packer,
                               absl::Time now)
    : limits_(limits), rate_(rate), packer_(std::move(packer)) {
  if (!packer_) packer_ = std::make_unique<PassThroughPacker>();
  shards_.push_back(std::make_unique<Shard>("", rate_, /*limited=*/false, now));
}

size_t ShardAssembler::ShardOf(const PendingRecord& r) {
  if (map_.empty()) return 0;
  std::optional<size_t> i = map_.Lookup(r.hash_key);
  if (!i) {
    // A gap: the map is stale, any shard will do meanwhile.
    saw_unmapped_ = true;
    return 0;
  }
  return *i;
}

void ShardAssembler::QueueReady(PendingRecord r, absl::Time now) {
  Shard& s = *shards_[ShardOf(r)];
  // Linger counts from when it was accepted, never from a later clock read
  // of another thread.
  r.not_before = std::min(r.not_before, now);
  ++queued_;
  ++ready_count_;
  s.ready.push_back(std::move(r));
}

void ShardAssembler::QueueRetry(PendingRecord r, absl::Time now) {
  if (r.not_before <= now) {
    QueueReady(std::move(r), now);  // no backoff left
    return;
  }
  Shard& s = *shards_[ShardOf(r)];
  ++queued_;
  s.delayed.push_back(std::move(r));
  std::push_heap(s.delayed.begin(), s.delayed.end(), Later());
}

void ShardAssembler::Add(PendingRecord record, absl::Time now) {
  QueueReady(std::move(record), now);
}

void ShardAssembler::Retry(PendingRecord record, absl::Time now) {
  QueueRetry(std::move(record), now);
}

void ShardAssembler::PromoteDue(Shard& s, absl::Time now) {
  // Due retries are older than anything queued: they go first, oldest
  // first, and do not wait for linger again.
  std::vector<PendingRecord> due;
  while (!s.delayed.empty() && s.delayed.front().not_before <= now) {
    std::pop_heap(s.delayed.begin(), s.delayed.end(), Later());
    due.push_back(std::move(s.delayed.back()));
    s.delayed.pop_back();
  }
  for (auto it = due.rbegin(); it != due.rend(); ++it) {
    it->not_before = now - limits_.linger;
    s.ready.push_front(std::move(*it));
    ++ready_count_;
  }
}

size_t ShardAssembler::Chunk(const Shard& s) const {
  const size_t half_burst =
      std::max<size_t>(1, static_cast<size_t>(s.limiter.record_burst() / 2));
  return std::min(s.ready.size(), half_burst);
}

size_t ShardAssembler::Sendable(Shard& s, absl::Time now) {
  PromoteDue(s, now);
  if (s.ready.empty()) return 0;
  if (!s.limited) return s.ready.size();
  const double tokens = s.limiter.record_tokens(now);
  if (tokens < static_cast<double>(Chunk(s)) ||
      !s.limiter.CanSend(s.ready.front().size(), now)) {
    return 0;
  }
  return std::min(s.ready.size(), static_cast<size_t>(tokens));
}

std::optional<PendingBatch> ShardAssembler::TakeReady(absl::Time now,
                                                      bool force) {
  size_t sendable = 0;
  size_t sendable_bytes = 0;
  absl::Time oldest = absl::InfiniteFuture();
  for (auto& s : shards_) {
    const size_t n = Sendable(*s, now);
    if (n == 0) continue;
    sendable += n;
    for (size_t i = 0; i < n && sendable_bytes < limits_.max_bytes; ++i) {
      sendable_bytes += s->ready[i].size();
    }
    oldest = std::min(oldest, s->ready.front().not_before);
  }
  if (sendable == 0) return std::nullopt;
  const bool full =
      sendable >= limits_.max_records || sendable_bytes >= limits_.max_bytes;
  if (!force && !full && oldest + limits_.linger > now) return std::nullopt;

  PendingBatch out;
  out.reserve(std::min(sendable, limits_.max_records));
  size_t bytes = 0;
  const size_t n = shards_.size();
  for (size_t k = 0; k < n && out.size() < limits_.max_records; ++k) {
    const size_t index = (next_shard_ + k) % n;
    Shard& s = *shards_[index];
    if (Sendable(s, now) == 0) continue;
    const size_t before = out.size();
    Budget budget(limits_, s, out, bytes, now);
    // The seam: this shard's user records become Kinesis records here.
    packer_->Pack(s.ready, s.limited ? &map_.shards()[index] : nullptr, budget,
                  out);
    for (size_t i = before; i < out.size(); ++i) {
      out[i].shard = static_cast<int>(index);
      out[i].generation = generation_;
    }
  }
  next_shard_ = (next_shard_ + 1) % n;
  // Count what left the queues (a packed record may carry several).
  size_t still_ready = 0;
  for (auto& s : shards_) still_ready += s->ready.size();
  queued_ -= ready_count_ - still_ready;
  ready_count_ = still_ready;
  if (out.empty()) return std::nullopt;
  return out;
}

absl::Time ShardAssembler::NextWakeup(absl::Time now) {
  absl::Time t = absl::InfiniteFuture();
  size_t sendable = 0;
  for (auto& s : shards_) {
    if (!s->delayed.empty()) t = std::min(t, s->delayed.front().not_before);
    const size_t n = Sendable(*s, now);
    if (n > 0) {
      sendable += n;
      t = std::min(t, s->ready.front().not_before + limits_.linger);
    } else if (!s->ready.empty()) {
      t = std::min(t,
                   s->limiter.ReadyAt(Chunk(*s), s->ready.front().size(), now));
    }
  }
  if (sendable >= limits_.max_records) return now;
  return t;
}

void ShardAssembler::Report(int shard, uint64_t generation, size_t stored,
                            size_t throttled, absl::Time now) {
  if (generation != generation_ || shard < 0 ||
      static_cast<size_t>(shard) >= shards_.size()) {
    return;
  }
  Shard& s = *shards_[shard];
  s.stats.records_stored += stored;
  s.stats.throttled += throttled;
  if (s.limited) s.limiter.OnAnswer(stored, throttled, now);
}

bool ShardAssembler::SetMap(ShardMap map, absl::Time now) {
  const bool had_map = !map_.empty();
  if (had_map && map.SameShards(map_)) return false;
  // What waits keeps its kind: ready records stay ready (in their order),
  // retries keep their backoff.
  PendingBatch ready;
  PendingBatch delayed;
  for (auto& s : shards_) {
    for (auto& r : s->ready) ready.push_back(std::move(r));
    for (auto& r : s->delayed) delayed.push_back(std::move(r));
    s->ready.clear();
    s->delayed.clear();
  }
  queued_ = 0;
  ready_count_ = 0;
  absl::flat_hash_map<std::string, std::unique_ptr<Shard>> old;
  for (auto& s : shards_) {
    if (s->limited) old[s->stats.shard_id] = std::move(s);
  }
  shards_.clear();
  map_ = std::move(map);
  ++generation_;
  saw_unmapped_ = false;
  for (const ShardRange& range : map_.shards()) {
    auto it = old.find(range.shard_id);
    if (it != old.end()) {
      shards_.push_back(std::move(it->second));  // keeps its rate and counts
    } else {
      shards_.push_back(
          std::make_unique<Shard>(range.shard_id, rate_, true, now));
    }
  }
  if (shards_.empty()) {
    shards_.push_back(
        std::make_unique<Shard>("", rate_, /*limited=*/false, now));
  }
  next_shard_ = 0;
  for (PendingRecord& r : ready) QueueReady(std::move(r), now);
  for (PendingRecord& r : delayed) QueueRetry(std::move(r), now);
  return true;
}

std::vector<ShardStats> ShardAssembler::Stats() const {
  std::vector<ShardStats> out;
  for (const auto& s : shards_) {
    if (!s->limited) continue;
    ShardStats st = s->stats;
    st.allowed_records_per_s = s->limiter.records_per_s();
    st.allowed_bytes_per_s = s->limiter.bytes_per_s();
    st.queued = s->ready.size() + s->delayed.size();
    out.push_back(std::move(st));
  }
  return out;
}

PendingBatch ShardAssembler::TakeAll() {
  PendingBatch all;
  all.reserve(queued_);
  for (auto& s : shards_) {
    for (auto& r : s->ready) all.push_back(std::move(r));
    for (auto& r : s->delayed) all.push_back(std::move(r));
    s->ready.clear();
    s->delayed.clear();
  }
  queued_ = 0;
  ready_count_ = 0;
  return all;
}

}  // namespace streamgate::kinesis
