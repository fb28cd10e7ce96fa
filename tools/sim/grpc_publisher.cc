#include "tools/sim/grpc_publisher.h"

#include "absl/strings/match.h"

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace streamgate::sim {

std::string FailureCode(int code, absl::string_view message) {
  // gRPC's own size check answers RESOURCE_EXHAUSTED too, but retrying the
  // same message can never succeed: kept apart from backpressure.
  if (code == 8 && absl::StrContains(message, "larger than max")) {
    return "MESSAGE_TOO_LARGE";
  }
  return GrpcCodeName(code);
}

std::string GrpcCodeName(int code) {
  static const char* const kNames[] = {
      "OK",                 "CANCELLED",         "UNKNOWN",
      "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED", "NOT_FOUND",
      "ALREADY_EXISTS",     "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "ABORTED",          "OUT_OF_RANGE",
      "UNIMPLEMENTED",      "INTERNAL",          "UNAVAILABLE",
      "DATA_LOSS",          "UNAUTHENTICATED"};
  if (code >= 0 && code < static_cast<int>(std::size(kNames))) {
    return kNames[code];
  }
  return absl::StrCat("CODE_", code);
}

GrpcPublisher::GrpcPublisher(const SimOptions& options,
                             const MessageSource& source, SimStats& stats)
    : options_(options), source_(source), stats_(stats) {
  grpc::ChannelArguments args;
  args.SetMaxSendMessageSize(64 << 20);
  stub_ = streamgate::v1::Gateway::NewStub(grpc::CreateCustomChannel(
      options_.target, grpc::InsecureChannelCredentials(), args));
}

void GrpcPublisher::PrepareContext(grpc::ClientContext& context) const {
  if (!options_.api_key.empty()) {
    context.AddMetadata("authorization", "Bearer " + options_.api_key);
  }
}

absl::Status GrpcPublisher::Run(Pacer& pacer) {
  return options_.grpc_mode == GrpcMode::kStream ? RunStream(pacer)
                                                 : RunUnary(pacer);
}

bool GrpcPublisher::Send(Stream& stream,
                         streamgate::v1::PublishRequest& request,
                         Pending pending) {
  request.set_id(next_id_++);
  {
    absl::MutexLock lock(&mu_);
    auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return reader_done_ ||
             pending_.size() < static_cast<size_t>(options_.window);
    };
    mu_.Await(absl::Condition(&room));
    if (reader_done_) return false;
    pending_[request.id()] = pending;
  }
  stats_.Sent(pending.messages, pending.records);
  return stream.Write(request);
}

void GrpcPublisher::ReadAnswers(Stream& stream) {
  streamgate::v1::PublishResponse response;
  while (stream.Read(&response)) {
    Pending p{0, 0};
    {
      absl::MutexLock lock(&mu_);
      auto it = pending_.find(response.id());
      if (it == pending_.end()) continue;  // not ours: ignore
      p = it->second;
      pending_.erase(it);
    }
    if (response.code() == 0) {
      stats_.Acked(p.messages, p.records);
    } else {
      stats_.Failed(FailureCode(response.code(), response.message()),
                    p.messages, p.records, response.message());
    }
  }
  absl::MutexLock lock(&mu_);
  reader_done_ = true;
}

absl::Status GrpcPublisher::RunStream(Pacer& pacer) {
  grpc::ClientContext context;
  PrepareContext(context);
  std::unique_ptr<Stream> stream = stub_->Publish(&context);
  std::thread reader([&] { ReadAnswers(*stream); });

  streamgate::v1::PublishRequest batch;
  int in_batch = 0;
  bool broken = false;
  auto flush_batch = [&] {
    if (in_batch == 0) return;
    if (!Send(*stream, batch, Pending{in_batch, in_batch})) broken = true;
    batch.Clear();
    in_batch = 0;
  };
  for (int64_t m; !broken && (m = pacer.Next()) >= 0;) {
    if (source_.IsBulk(m)) {
      streamgate::v1::PublishRequest request;
      source_.FillBulk(m, request.mutable_bulk_data());
      if (!Send(*stream, request, Pending{1, source_.RecordsOf(m)})) {
        broken = true;
      }
    } else if (options_.batch == 1) {
      streamgate::v1::PublishRequest request;
      source_.FillEvent(m, request.mutable_event());
      if (!Send(*stream, request, Pending{1, 1})) broken = true;
    } else {
      source_.FillEvent(m, batch.mutable_batch()->add_events());
      if (++in_batch == options_.batch) flush_batch();
    }
  }
  if (!broken) flush_batch();
  if (broken) pacer.Stop();
  stream->WritesDone();
  reader.join();
  const grpc::Status status = stream->Finish();
  // Requests the stream ended without answering failed with its status.
  const std::string code =
      status.ok() ? "UNANSWERED"
                  : FailureCode(status.error_code(), status.error_message());
  absl::MutexLock lock(&mu_);
  for (const auto& [id, p] : pending_) {
    stats_.Failed(code, p.messages, p.records, status.error_message());
  }
  pending_.clear();
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("grpc: Publish stream to ", options_.target,
                                     ": ", status.error_message()));
  }
  return absl::OkStatus();
}

absl::Status GrpcPublisher::RunUnary(Pacer& pacer) {
  std::vector<std::thread> callers;
  for (int t = 0; t < options_.inflight; ++t) {
    callers.emplace_back([&] {
      for (int64_t m; (m = pacer.Next()) >= 0;) {
        grpc::ClientContext context;
        PrepareContext(context);
        context.set_deadline(std::chrono::system_clock::now() +
                             std::chrono::seconds(30));
        streamgate::v1::PublishResponse response;
        grpc::Status status;
        const int records = source_.RecordsOf(m);
        stats_.Sent(1, records);
        if (source_.IsBulk(m)) {
          streamgate::v1::BulkData bulk;
          source_.FillBulk(m, &bulk);
          status = stub_->PublishBulkData(&context, bulk, &response);
        } else {
          streamgate::v1::Event event;
          source_.FillEvent(m, &event);
          status = stub_->PublishEvent(&context, event, &response);
        }
        const int code = status.ok() ? response.code() : status.error_code();
        if (code == 0) {
          stats_.Acked(1, records);
        } else {
          const std::string& why =
              status.ok() ? response.message() : status.error_message();
          stats_.Failed(FailureCode(code, why), 1, records, why);
        }
      }
    });
  }
  for (std::thread& t : callers) t.join();
  return absl::OkStatus();
}

}  // namespace streamgate::sim
