// FakeIngest: a recording streamgate::Ingest for adapter tests. It keeps a
// copy of every input it accepted, applies the registry rule for unknown
// devices (IngestReason::kUnknownDevice) against a map the test fills, and
// lets the test choose each call's status (to simulate full queues or
// core-side rejections) through a responder function.
//
// Threading: all methods are safe from any thread (one mutex).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "gateway/api/ingest.h"

namespace streamgate {
namespace testing {

class FakeIngest : public Ingest {
 public:
  struct Event {
    std::string event_type;
    std::string data_json;
    int64_t home_id = 0;
    absl::optional<int64_t> origin_device_id;
    bool has_timestamp = false;
    std::string caller_key_id;
    std::string source_topic;  // InputSource::topic(), when given
  };
  struct Bulk {
    int64_t device_id = 0;
    std::string label;
    absl::optional<std::string> msgpack_payload;
    std::vector<std::string> records;
    std::string source_topic;  // InputSource::topic(), when given
  };
  // What the responder sees of a call, to decide its status.
  struct Call {
    const Event* event = nullptr;  // exactly one of the two is set
    const Bulk* bulk = nullptr;
  };
  using Responder = std::function<absl::Status(const Call&)>;

  void SetDevice(int64_t device_id, int64_t home_id) {
    absl::MutexLock lock(&mu_);
    devices_[device_id] = home_id;
  }
  // nullptr: accept everything.
  void SetResponder(Responder responder) {
    absl::MutexLock lock(&mu_);
    responder_ = std::move(responder);
  }

  IngestResult PublishEvents(absl::Span<const EventInput> events,
                             const Caller& caller) override {
    std::vector<Event> copies;
    for (const EventInput& in : events) {
      Event e;
      e.event_type = std::string(in.event_type);
      e.data_json = std::string(in.data_json);
      e.home_id = in.home_id;
      if (e.home_id == 0 && in.origin_device_id) {
        absl::optional<int64_t> home = Home(*in.origin_device_id);
        if (!home) home = in.default_home_id;
        if (!home) {
          return Refused(absl::InvalidArgumentError(
                             "home_id: required (device is not in the "
                             "device registry)"),
                         IngestReason::kUnknownDevice);
        }
        e.home_id = *home;
      }
      e.origin_device_id = in.origin_device_id;
      e.has_timestamp = in.timestamp.has_value();
      e.caller_key_id = std::string(caller.key_id);
      if (in.source != nullptr) e.source_topic = std::string(in.source->topic());
      copies.push_back(std::move(e));
    }
    absl::MutexLock lock(&mu_);
    ++calls_;
    for (const Event& e : copies) {
      if (responder_) {
        absl::Status status = responder_(Call{&e, nullptr});
        if (!status.ok()) return Refused(status);
      }
    }
    IngestResult ok;
    ok.accepted = copies.size();
    for (Event& e : copies) events_.push_back(std::move(e));
    return ok;
  }

  IngestResult PublishBulk(const BulkInput& in, const Caller&) override {
    Bulk b;
    b.device_id = in.device_id;
    b.label = std::string(in.label);
    if (in.msgpack_payload) b.msgpack_payload = std::string(*in.msgpack_payload);
    for (const std::string* r : in.records) b.records.push_back(*r);
    if (in.source != nullptr) b.source_topic = std::string(in.source->topic());
    absl::MutexLock lock(&mu_);
    ++calls_;
    if (responder_) {
      absl::Status status = responder_(Call{nullptr, &b});
      if (!status.ok()) return Refused(status);
    }
    IngestResult ok;
    ok.accepted = b.msgpack_payload ? 1 : b.records.size();
    bulks_.push_back(std::move(b));
    return ok;
  }

  std::vector<Event> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  std::vector<Bulk> bulks() const {
    absl::MutexLock lock(&mu_);
    return bulks_;
  }
  int64_t calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  size_t accepted() const {
    absl::MutexLock lock(&mu_);
    return events_.size() + bulks_.size();
  }
  // Waits until at least `n` inputs were accepted; false on timeout.
  bool WaitForAccepted(size_t n, absl::Duration timeout) const {
    absl::MutexLock lock(&mu_);
    auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return events_.size() + bulks_.size() >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  }

 private:
  absl::optional<int64_t> Home(int64_t device_id) const {
    absl::MutexLock lock(&mu_);
    auto it = devices_.find(device_id);
    if (it == devices_.end()) return absl::nullopt;
    return it->second;
  }

  static IngestResult Refused(absl::Status status,
                              IngestReason reason = IngestReason::kInvalid) {
    IngestResult r;
    switch (status.code()) {
      case absl::StatusCode::kResourceExhausted:
        reason = IngestReason::kFull;
        break;
      case absl::StatusCode::kUnavailable:
        reason = IngestReason::kUnavailable;
        break;
      case absl::StatusCode::kInvalidArgument:
        break;
      default:
        reason = IngestReason::kStoreFailed;
    }
    r.status = std::move(status);
    r.reason = reason;
    return r;
  }

  mutable absl::Mutex mu_;
  std::map<int64_t, int64_t> devices_ ABSL_GUARDED_BY(mu_);
  Responder responder_ ABSL_GUARDED_BY(mu_);
  std::vector<Event> events_ ABSL_GUARDED_BY(mu_);
  std::vector<Bulk> bulks_ ABSL_GUARDED_BY(mu_);
  int64_t calls_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace testing
}  // namespace streamgate
