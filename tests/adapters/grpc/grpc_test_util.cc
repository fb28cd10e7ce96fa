#include "tests/adapters/grpc/grpc_test_util.h"

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "grpcpp/generic/generic_stub.h"

namespace streamgate {
namespace testing {
namespace {

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

std::string FromBuffer(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  if (!buffer.Valid() || !buffer.Dump(&slices).ok()) return "";
  std::string out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

// Waits for the one operation in flight on `cq`.
bool Await(grpc::CompletionQueue& cq) {
  void* tag = nullptr;
  bool ok = false;
  if (!cq.Next(&tag, &ok)) return false;
  return ok;
}

std::string Key(absl::string_view name, const metrics::Labels& labels) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels) parts.push_back(absl::StrCat(k, "=", v));
  return absl::StrCat(name, "{", absl::StrJoin(parts, ","), "}");
}

}  // namespace

LogCapture::LogCapture(spdlog::level::level_enum level)
    : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(out_)),
      previous_(spdlog::default_logger()) {
  auto logger = std::make_shared<spdlog::logger>("capture", sink_);
  logger->set_pattern("%l %v");
  logger->set_level(level);
  spdlog::set_default_logger(logger);
}

LogCapture::~LogCapture() { spdlog::set_default_logger(previous_); }

std::string LogCapture::text() {
  sink_->flush();
  return out_.str();
}

std::vector<std::string> LogCapture::Lines(absl::string_view level) {
  std::vector<std::string> out;
  const std::string prefix = absl::StrCat(level, " ");
  for (absl::string_view line : absl::StrSplit(text(), '\n')) {
    if (absl::StartsWith(line, prefix)) out.emplace_back(line);
  }
  return out;
}

void RecordingMetrics::Counter(absl::string_view name, absl::string_view,
                               const metrics::Labels& labels, double value) {
  samples[Key(name, labels)] = value;
}

void RecordingMetrics::Gauge(absl::string_view name, absl::string_view,
                             const metrics::Labels& labels, double value) {
  samples[Key(name, labels)] = value;
}

AdapterHarness::~AdapterHarness() {
  if (adapter_) adapter_->Shutdown(absl::Now() + absl::Seconds(5));
}

absl::Status AdapterHarness::Start(GrpcAdapterConfig config) {
  config.grpc.listen = "127.0.0.1:0";
  adapter_ = std::make_unique<GrpcAdapter>(
      std::move(config), AdapterContext{ingest, rejects, status});
  return adapter_->Start();
}

std::shared_ptr<grpc::Channel> AdapterHarness::Channel() const {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", adapter_->port()),
                             grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> CallContext(const char* auth) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(10));
  if (auth != nullptr) ctx->AddMetadata("authorization", auth);
  return ctx;
}

RawReply RawUnary(const std::shared_ptr<grpc::Channel>& channel,
                  const std::string& method, const std::string& request) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  auto ctx = CallContext();
  const grpc::ByteBuffer req = ToBuffer(request);
  auto call = stub.PrepareUnaryCall(ctx.get(), method, req, &cq);
  call->StartCall();
  grpc::ByteBuffer resp;
  RawReply reply;
  call->Finish(&resp, &reply.status, nullptr);
  Await(cq);
  reply.bytes = FromBuffer(resp);
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
  return reply;
}

RawStreamReply RawBidi(const std::shared_ptr<grpc::Channel>& channel,
                       const std::string& method,
                       const std::vector<std::string>& requests) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  auto ctx = CallContext();
  RawStreamReply reply;
  auto call = stub.PrepareCall(ctx.get(), method, &cq);
  call->StartCall(nullptr);
  bool open = Await(cq);
  for (const std::string& r : requests) {
    if (!open) break;
    call->Write(ToBuffer(r), nullptr);
    open = Await(cq);
  }
  if (open) {
    call->WritesDone(nullptr);
    Await(cq);
  }
  while (true) {
    grpc::ByteBuffer resp;
    call->Read(&resp, nullptr);
    if (!Await(cq)) break;
    reply.responses.push_back(FromBuffer(resp));
  }
  call->Finish(&reply.status, nullptr);
  Await(cq);
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
  return reply;
}

std::string Varint(uint64_t value) {
  std::string out;
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
  return out;
}

std::string VarintField(int number, uint64_t value) {
  return Varint(static_cast<uint64_t>(number) << 3) + Varint(value);
}

std::string BytesField(int number, const std::string& payload) {
  return Varint((static_cast<uint64_t>(number) << 3) | 2) +
         Varint(payload.size()) + payload;
}

std::string NestedStruct(int levels) {
  std::string s;
  for (int i = 0; i < levels - 1; ++i) {
    const std::string value = BytesField(5, s);  // Value.struct_value
    const std::string entry = BytesField(1, "a") + BytesField(2, value);
    s = BytesField(1, entry);  // Struct.fields
  }
  return s;
}

}  // namespace testing
}  // namespace streamgate
