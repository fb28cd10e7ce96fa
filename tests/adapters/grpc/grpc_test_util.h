// Shared by the gRPC adapter tests: an in-process GrpcAdapter on a free
// 127.0.0.1 port over a FakeIngest and a FakeGatewayStatus, a capture of
// spdlog's default logger, a DoorRejects that records, raw (ByteBuffer)
// calls for bytes the generated stubs refuse to build, and a hand encoder
// for such bytes.
//
// Threading: the harness and the capture are used from the test thread;
// the fakes are thread-safe (the adapter calls them from gRPC threads).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "adapters/grpc/grpc_adapter.h"
#include "adapters/grpc/grpc_config.h"
#include "gateway/api/metrics_writer.h"
#include "gateway/api/rejects.h"
#include "grpcpp/grpcpp.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"
#include "tests/fakes/fake_gateway_status.h"
#include "tests/fakes/fake_ingest.h"

namespace streamgate {
namespace testing {

// Keeps (rpc, reason) of every door reject.
class RecordingRejects : public DoorRejects {
 public:
  void Rejected(const DoorReject& r) override {
    absl::MutexLock lock(&mu_);
    seen_.emplace_back(std::string(r.rpc), std::string(r.reason));
  }
  std::vector<std::pair<std::string, std::string>> seen() const {
    absl::MutexLock lock(&mu_);
    return seen_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::pair<std::string, std::string>> seen_ ABSL_GUARDED_BY(mu_);
};

// Routes spdlog's default logger to a string ("LEVEL message" per line) for
// its lifetime; the previous logger is restored on destruction. Create it
// before the adapter starts and destroy it after the adapter stopped.
class LogCapture {
 public:
  explicit LogCapture(spdlog::level::level_enum level = spdlog::level::info);
  ~LogCapture();
  // Everything logged so far.
  std::string text();
  // The lines at `level` ("warning", "error", "debug"...).
  std::vector<std::string> Lines(absl::string_view level);

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

// Samples a MetricsWriter was given, by "name{k=v,...}".
class RecordingMetrics : public metrics::MetricsWriter {
 public:
  void Counter(absl::string_view name, absl::string_view,
               const metrics::Labels& labels, double value) override;
  void Gauge(absl::string_view name, absl::string_view,
             const metrics::Labels& labels, double value) override;
  void Histogram(absl::string_view, absl::string_view, const metrics::Labels&,
                 const metrics::HistogramSnapshot&) override {}
  std::map<std::string, double> samples;
};

class AdapterHarness {
 public:
  ~AdapterHarness();
  // Builds and starts the adapter on 127.0.0.1:0 (config.grpc.listen is
  // overridden).
  absl::Status Start(GrpcAdapterConfig config = {});
  std::shared_ptr<grpc::Channel> Channel() const;
  GrpcAdapter& adapter() { return *adapter_; }

  FakeIngest ingest;
  FakeGatewayStatus status;
  RecordingRejects rejects;

 private:
  std::unique_ptr<GrpcAdapter> adapter_;
};

// A 10 s deadline and, when `auth` is set, "authorization: <auth>".
std::unique_ptr<grpc::ClientContext> CallContext(const char* auth = nullptr);

struct RawReply {
  grpc::Status status;
  std::string bytes;  // the response, when OK
};
// One unary call of `method` ("/streamgate.v1.Gateway/PublishEvent") with
// `request` as its exact bytes.
RawReply RawUnary(const std::shared_ptr<grpc::Channel>& channel,
                  const std::string& method, const std::string& request);

struct RawStreamReply {
  grpc::Status status;
  std::vector<std::string> responses;
};
// A bidi stream of `method`: writes every request, closes, reads every
// response.
RawStreamReply RawBidi(const std::shared_ptr<grpc::Channel>& channel,
                       const std::string& method,
                       const std::vector<std::string>& requests);

// Protobuf wire format by hand.
std::string Varint(uint64_t value);
std::string VarintField(int number, uint64_t value);
std::string BytesField(int number, const std::string& payload);
// google.protobuf.Struct {"a": {"a": ... {}}}, `levels` Structs deep.
std::string NestedStruct(int levels);

}  // namespace testing
}  // namespace streamgate
