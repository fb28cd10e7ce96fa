// HoldingSink: a Sink for pipeline tests that keeps every batch until the
// test settles it (SettleAll: all delivered), and at Close reports what is
// still held as undelivered (what a sink does when its module's queue is
// durable), so a spool keeps it. HoldingSinkFactory builds them for a sink
// type and keeps a pointer to each. Thread-safe (one mutex).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gateway/api/config_reader.h"
#include "gateway/api/sink.h"

namespace streamgate {
namespace testing {

class HoldingSink : public Sink {
 public:
  absl::Status Start() override { return absl::OkStatus(); }
  void Deliver(OutBatch batch, DeliveryDone done) override {
    absl::MutexLock l(&mu_);
    records_ += batch.size();
    for (OutRecord& r : batch) data_.push_back(*r.data);
    held_.push_back(Held{batch.size(), std::move(done)});
  }
  absl::Status Flush(absl::Time) override { return absl::OkStatus(); }
  void Close() override { Settle(/*delivered=*/false); }

  size_t records() const {
    absl::MutexLock l(&mu_);
    return records_;
  }
  std::vector<std::string> data() const {
    absl::MutexLock l(&mu_);
    return data_;
  }
  // Reports every held batch delivered.
  void SettleAll() { Settle(/*delivered=*/true); }

 private:
  struct Held {
    size_t records;
    DeliveryDone done;
  };
  void Settle(bool delivered) {
    std::vector<Held> held;
    {
      absl::MutexLock l(&mu_);
      held.swap(held_);
    }
    for (Held& h : held) {
      DeliveryReport report;
      (delivered ? report.delivered : report.undelivered) = h.records;
      std::move(h.done)(report);
    }
  }

  mutable absl::Mutex mu_;
  size_t records_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> data_ ABSL_GUARDED_BY(mu_);
  std::vector<Held> held_ ABSL_GUARDED_BY(mu_);
};

class HoldingSinkFactory : public SinkFactory {
 public:
  explicit HoldingSinkFactory(std::string type) : type_(std::move(type)) {}
  std::string type() const override { return type_; }
  absl::StatusOr<std::unique_ptr<Sink>> Create(
      const ConfigReader&, const SinkContext&) const override {
    auto sink = std::make_unique<HoldingSink>();
    absl::MutexLock l(&mu_);
    built_.push_back(sink.get());
    return std::unique_ptr<Sink>(std::move(sink));
  }
  // The i-th sink built, in module order (owned by its module).
  HoldingSink* sink(size_t i) const {
    absl::MutexLock l(&mu_);
    return i < built_.size() ? built_[i] : nullptr;
  }

 private:
  const std::string type_;
  mutable absl::Mutex mu_;
  mutable std::vector<HoldingSink*> built_ ABSL_GUARDED_BY(mu_);
};

}  // namespace testing
}  // namespace streamgate
