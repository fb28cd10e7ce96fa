// The gRPC adapter's asynchronous acks over a spooled module (fsync:
// always) on the fault-injecting file system: unary calls are answered only
// after the fdatasync covering them, and the calls that arrive while a sync
// is in progress share the next one (no gRPC thread waits in the spool);
// a Publish stream keeps reading while its first item syncs, so the items
// behind it share one sync, and the responses still come in request order.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
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

// Events of equal rendered size (3-digit homes, a fixed timestamp), so the
// spool's reserved bytes count the inputs that reached it.
v1::Event Event(int64_t home) {
  v1::Event e;
  e.set_event_type("reading");
  e.set_home_id(home);
  e.mutable_timestamp()->set_seconds(1700000000);
  return e;
}

// The gRPC adapter in process over a spooled Ingester.
class SpooledGateway {
 public:
  explicit SpooledGateway(FaultSpoolEnv& env) {
    EXPECT_TRUE(spooled_.Start(kModule, {&env}).ok());
    GrpcAdapterConfig config;
    config.grpc.listen = "127.0.0.1:0";
    adapter_ = std::make_unique<GrpcAdapter>(
        config,
        AdapterContext{spooled_.ingest(), NoDoorRejects::Instance(), status_});
    EXPECT_TRUE(adapter_->Start().ok());
    stub_ = v1::Gateway::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", adapter_->port()),
                            grpc::InsecureChannelCredentials()));
  }
  ~SpooledGateway() {
    adapter_->StopAccepting();
    adapter_->Shutdown(absl::Now() + absl::Seconds(5));
  }
  v1::Gateway::Stub& stub() { return *stub_; }
  SpoolQueue& queue() { return spooled_.queue(0); }

 private:
  SpooledIngest spooled_;
  testing::FakeGatewayStatus status_;
  std::unique_ptr<GrpcAdapter> adapter_;
  std::unique_ptr<v1::Gateway::Stub> stub_;
};

// Unary PublishEvent calls on their own threads.
class UnaryCalls {
 public:
  explicit UnaryCalls(v1::Gateway::Stub& stub) : stub_(stub) {}
  ~UnaryCalls() { Join(); }
  void Start(int64_t home) {
    threads_.emplace_back([this, home] {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
      v1::PublishResponse response;
      if (stub_.PublishEvent(&ctx, Event(home), &response).ok()) ++ok_;
      ++done_;
    });
  }
  void Join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  int done() const { return done_.load(); }
  int ok() const { return ok_.load(); }

 private:
  v1::Gateway::Stub& stub_;
  std::vector<std::thread> threads_;
  std::atomic<int> done_{0};
  std::atomic<int> ok_{0};
};

TEST(SpoolGrpcAsyncTest, UnaryCallsWaitForTheSyncAndShareTheNextOne) {
  FaultSpoolEnv env;
  SpooledGateway gateway(env);
  const int syncs0 = env.syncs();
  UnaryCalls calls(gateway.stub());
  env.HoldSyncs();
  calls.Start(100);
  ASSERT_TRUE(Eventually([&] { return env.held_syncs() == 1; }));
  // Written (its reservation became its frame bytes), parked in the sync.
  const uint64_t one = gateway.queue().used_bytes();
  ASSERT_GT(one, 0u);
  constexpr int kCalls = 24;
  for (int i = 1; i < kCalls; ++i) calls.Start(100 + i);
  // Every call reached the spool: its room is reserved.
  ASSERT_TRUE(
      Eventually([&] { return gateway.queue().used_bytes() == kCalls * one; }));
  EXPECT_EQ(calls.done(), 0);  // no ack before the sync
  env.ReleaseSyncs();
  calls.Join();
  EXPECT_EQ(calls.ok(), kCalls);
  // The first call's sync, then one for the other 23.
  EXPECT_EQ(env.syncs() - syncs0, 2);
  EXPECT_EQ(PopAll(gateway.queue()).size(), static_cast<size_t>(kCalls));
}

TEST(SpoolGrpcAsyncTest, StreamReadsOnWhileAnItemSyncsAndAnswersInOrder) {
  FaultSpoolEnv env;
  SpooledGateway gateway(env);
  const int syncs0 = env.syncs();
  grpc::ClientContext ctx;
  auto stream = gateway.stub().Publish(&ctx);
  env.HoldSyncs();
  constexpr int kItems = 20;
  constexpr int kBatch = 10;
  uint64_t one = 0;
  for (int i = 0; i < kItems; ++i) {
    v1::PublishRequest request;
    request.set_id(1000 + i);
    for (int j = 0; j < kBatch; ++j) {
      *request.mutable_batch()->add_events() = Event(100 + j);
    }
    ASSERT_TRUE(stream->Write(request));
    if (i == 0) {
      ASSERT_TRUE(Eventually([&] { return env.held_syncs() == 1; }));
      one = gateway.queue().used_bytes();
      ASSERT_GT(one, 0u);
    }
  }
  // The stream read every item while the first one's sync was parked.
  ASSERT_TRUE(
      Eventually([&] { return gateway.queue().used_bytes() == kItems * one; }));
  env.ReleaseSyncs();
  for (int i = 0; i < kItems; ++i) {
    v1::PublishResponse response;
    ASSERT_TRUE(stream->Read(&response)) << i;
    EXPECT_EQ(response.id(), static_cast<uint64_t>(1000 + i));
    EXPECT_EQ(response.code(), 0) << response.message();
    EXPECT_EQ(response.records(), static_cast<uint32_t>(kBatch));
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(env.syncs() - syncs0, 2);
  EXPECT_EQ(PopAll(gateway.queue()).size(),
            static_cast<size_t>(kItems * kBatch));
}

// A client that gives up while its call waits for the sync: the answer
// comes later to a cancelled call, which must end cleanly (the adapter's
// Shutdown below waits for every call; a call never finished hangs it).
TEST(SpoolGrpcAsyncTest, UnaryCallCancelledDuringTheSyncEndsCleanly) {
  FaultSpoolEnv env;
  SpooledGateway gateway(env);
  env.HoldSyncs();
  grpc::ClientContext ctx;
  grpc::Status status;
  std::thread call([&] {
    v1::PublishResponse response;
    status = gateway.stub().PublishEvent(&ctx, Event(100), &response);
  });
  ASSERT_TRUE(Eventually([&] { return env.held_syncs() == 1; }));
  ctx.TryCancel();
  call.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
  env.ReleaseSyncs();
  // The stored input is kept (at least once): the client was not told OK.
  ASSERT_TRUE(Eventually([&] { return gateway.queue().depth() == 1; }));
}

TEST(SpoolGrpcAsyncTest, StreamCancelledWithItemsInFlightEndsCleanly) {
  FaultSpoolEnv env;
  SpooledGateway gateway(env);
  grpc::ClientContext ctx;
  auto stream = gateway.stub().Publish(&ctx);
  env.HoldSyncs();
  uint64_t one = 0;
  constexpr int kItems = 5;
  for (int i = 0; i < kItems; ++i) {
    v1::PublishRequest request;
    request.set_id(i + 1);
    *request.mutable_event() = Event(100);
    ASSERT_TRUE(stream->Write(request));
    if (i == 0) {
      ASSERT_TRUE(Eventually([&] { return env.held_syncs() == 1; }));
      one = gateway.queue().used_bytes();
    }
  }
  ASSERT_TRUE(
      Eventually([&] { return gateway.queue().used_bytes() == kItems * one; }));
  ctx.TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The reactor finishes only once these answers have come.
  env.ReleaseSyncs();
  ASSERT_TRUE(Eventually(
      [&] { return gateway.queue().depth() == static_cast<size_t>(kItems); }));
}

}  // namespace
}  // namespace streamgate
