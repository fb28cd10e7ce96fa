// Power loss under the gRPC input: the in-process GrpcAdapter over the real
// Ingester and Router into a spooled module (fsync: always) whose file
// system loses everything not yet synced. Producers send unary
// PublishEvent calls and Publish stream batches concurrently; the power
// goes while they run. After a restart every event whose call (or stream
// response) said OK is in the spool, in each producer's order.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "adapters/grpc/grpc_adapter.h"
#include "gateway/api/rejects.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "streamgate/v1/gateway.grpc.pb.h"
#include "tests/fakes/fake_gateway_status.h"
#include "tests/fakes/fault_spool_env.h"
#include "tests/gateway/spool/spool_test_util.h"
#include "tests/gateway/spool/spooled_ingest.h"

namespace streamgate {
namespace {

using testing::Eventually;
using testing::FaultSpoolEnv;
using testing::PopAll;
using testing::SpooledIngest;

constexpr char kModule[] = R"(modules:
  - {id: all, subscribe_events: ["*"], sink: {type: stdout}}
)";
// homeId = (producer + 1) * kStride + sequence number (never 0).
constexpr int64_t kStride = 1000000;

// The homeIds of the rendered events a queue hands out.
std::vector<int64_t> Homes(ModuleQueue& q) {
  std::vector<int64_t> homes;
  for (const std::string& d : PopAll(q)) {
    const size_t at = d.find("\"homeId\":") + 9;
    int64_t home = 0;
    EXPECT_TRUE(
        absl::SimpleAtoi(d.substr(at, d.find_first_of(",}", at) - at), &home))
        << d;
    homes.push_back(home);
  }
  return homes;
}

v1::Event Event(int64_t home) {
  v1::Event e;
  e.set_event_type("reading");
  e.set_home_id(home);
  return e;
}

class Acked {
 public:
  void Set(int producer, int64_t count) {
    absl::MutexLock lock(&mu_);
    acked_[producer] = count;
  }
  int64_t Get(int producer) {
    absl::MutexLock lock(&mu_);
    return acked_[producer];
  }
  int64_t Total() {
    absl::MutexLock lock(&mu_);
    int64_t n = 0;
    for (const auto& [p, c] : acked_) n += c;
    return n;
  }

 private:
  absl::Mutex mu_;
  std::map<int, int64_t> acked_ ABSL_GUARDED_BY(mu_);
};

// Unary calls, one at a time, until one fails.
void UnaryProducer(v1::Gateway::Stub& stub, int producer, Acked& acked) {
  for (int64_t i = 0;; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    v1::PublishResponse response;
    if (!stub.PublishEvent(&ctx, Event((producer + 1) * kStride + i), &response)
             .ok()) {
      return;
    }
    acked.Set(producer, i + 1);
  }
}

// Batches of 10 on one Publish stream, each answered before the next.
void StreamProducer(v1::Gateway::Stub& stub, int producer, Acked& acked) {
  grpc::ClientContext ctx;
  auto stream = stub.Publish(&ctx);
  for (int64_t i = 0;; i += 10) {
    v1::PublishRequest request;
    request.set_id(static_cast<uint64_t>(i));
    for (int64_t j = i; j < i + 10; ++j) {
      *request.mutable_batch()->add_events() =
          Event((producer + 1) * kStride + j);
    }
    v1::PublishResponse response;
    if (!stream->Write(request) || !stream->Read(&response) ||
        response.code() != 0) {
      break;
    }
    acked.Set(producer, i + 10);
  }
  stream->WritesDone();
  ctx.TryCancel();
  stream->Finish().IgnoreError();
}

TEST(SpoolPowerLossGrpcTest, EveryAcknowledgedEventSurvives) {
  constexpr int kUnary = 4;
  constexpr int kStreams = 2;
  FaultSpoolEnv env;
  Acked acked;
  {
    SpooledIngest spooled;
    ASSERT_TRUE(spooled.Start(kModule, {&env}).ok());
    testing::FakeGatewayStatus status;
    GrpcAdapterConfig config;
    config.grpc.listen = "127.0.0.1:0";
    GrpcAdapter adapter(
        config,
        AdapterContext{spooled.ingest(), NoDoorRejects::Instance(), status});
    ASSERT_TRUE(adapter.Start().ok());
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", adapter.port()),
                            grpc::InsecureChannelCredentials());
    auto stub = v1::Gateway::NewStub(channel);
    std::vector<std::thread> producers;
    for (int p = 0; p < kUnary; ++p) {
      producers.emplace_back([&, p] { UnaryProducer(*stub, p, acked); });
    }
    for (int p = kUnary; p < kUnary + kStreams; ++p) {
      producers.emplace_back([&, p] { StreamProducer(*stub, p, acked); });
    }
    ASSERT_TRUE(Eventually([&] { return acked.Total() >= 300; }));
    env.PowerLoss(/*torn=*/true);
    for (auto& t : producers) t.join();
    adapter.StopAccepting();
    adapter.Shutdown(absl::Now() + absl::Seconds(5));
  }
  env.Restart();
  SpooledIngest restarted;
  ASSERT_TRUE(restarted.Start(kModule, {&env}).ok());
  std::map<int64_t, std::vector<int64_t>> replayed;
  for (int64_t home : Homes(restarted.queue(0))) {
    replayed[home / kStride - 1].push_back(home % kStride);
  }
  for (int p = 0; p < kUnary + kStreams; ++p) {
    const std::vector<int64_t>& got = replayed[p];
    ASSERT_GE(static_cast<int64_t>(got.size()), acked.Get(p))
        << "producer " << p;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i], static_cast<int64_t>(i)) << "producer " << p;
    }
  }
}

}  // namespace
}  // namespace streamgate
