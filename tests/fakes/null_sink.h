// NullSinkFactory: a SinkFactory for core tests that need modules but no
// real destination. Its sinks accept any section, deliver every batch at
// once (reporting it all delivered) and remember how many records they got.
// Register one per sink type a test config names. Thread-safe (atomics).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "gateway/api/config_reader.h"
#include "gateway/api/sink.h"
#include "gateway/api/sink_registry.h"

namespace streamgate {
namespace testing {

class NullSink : public Sink {
 public:
  absl::Status Start() override { return absl::OkStatus(); }
  void Deliver(OutBatch batch, DeliveryDone done) override {
    delivered_ += batch.size();
    DeliveryReport report;
    report.delivered = batch.size();
    std::move(done)(report);
  }
  absl::Status Flush(absl::Time) override { return absl::OkStatus(); }
  void Close() override {}
  uint64_t delivered() const { return delivered_.load(); }

 private:
  std::atomic<uint64_t> delivered_{0};
};

class NullSinkFactory : public SinkFactory {
 public:
  explicit NullSinkFactory(std::string type) : type_(std::move(type)) {}
  std::string type() const override { return type_; }
  absl::StatusOr<std::unique_ptr<Sink>> Create(
      const ConfigReader&, const SinkContext&) const override {
    return std::unique_ptr<Sink>(new NullSink());
  }

 private:
  std::string type_;
};

// A registry with a NullSinkFactory for stdout, file and kinesis.
inline void RegisterNullSinks(SinkRegistry& registry) {
  for (const char* type : {"stdout", "file", "kinesis"}) {
    registry.Register(std::make_unique<NullSinkFactory>(type));
  }
}

}  // namespace testing
}  // namespace streamgate
