#include "adapters/grpc/gateway_service.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/grpc/convert.h"
#include "adapters/grpc/publish_reactor.h"
#include "adapters/grpc/request_parser.h"
#include "gateway/common/logging.h"

namespace streamgate {
namespace {

// Answers a Publish stream that failed authentication without reading it.
class RejectedStream
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit RejectedStream(const absl::Status& status) {
    Finish(ToGrpcStatus(status));
  }
  void OnDone() override { delete this; }
};

grpc::ServerUnaryReactor* FinishUnary(grpc::CallbackServerContext* context,
                                      const absl::Status& status) {
  auto* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// Finishes an accepted unary call with its PublishResponse.
void FinishAccepted(grpc::ServerUnaryReactor* reactor, size_t records,
                    grpc::ByteBuffer* response) {
  v1::PublishResponse answer;
  answer.set_records(static_cast<uint32_t>(records));
  reactor->Finish(ToGrpcStatus(SerializeResponse(answer, *response)));
}

}  // namespace

grpc::ServerUnaryReactor* GatewayService::PublishEvent(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  auto caller = auth_.Authenticate(*context);
  if (!caller.ok()) return FinishUnary(context, caller.status());
  v1::Event event;
  if (absl::Status st = ParseRequest(*request, event); !st.ok()) {
    log_.Unparsable(GatewayRpc::kPublishEvent, context->peer(), st.message());
    return FinishUnary(context, st);
  }
  EventInput in;
  if (absl::Status st = ToEventInput(event, "", in); !st.ok()) {
    ReportRefused(rejects_, st, "event", event,
                  event.has_origin_device_id()
                      ? absl::make_optional(event.origin_device_id())
                      : absl::nullopt);
    if (st.code() == absl::StatusCode::kInvalidArgument) {
      log_.UnaryRejected(GatewayRpc::kPublishEvent, context->peer(), "",
                         IngestReason::kInvalid, st.message());
    }
    return FinishUnary(context, st);
  }
  // Answered when the input is stored (a spool with fsync always: from its
  // commit thread after the fdatasync), so this thread never waits for it.
  auto* reactor = context->DefaultReactor();
  ingest_.PublishEventsAsync(
      absl::MakeConstSpan(&in, 1), Caller{caller->key_id, caller->key_name},
      [this, context, reactor, response](IngestResult result) {
        if (result.ok()) {
          return FinishAccepted(reactor, result.accepted, response);
        }
        if (result.status.code() == absl::StatusCode::kInvalidArgument) {
          log_.UnaryRejected(GatewayRpc::kPublishEvent, context->peer(), "",
                             result.reason, result.message());
        }
        reactor->Finish(ToGrpcStatus(result.status));
      });
  return reactor;
}

grpc::ServerUnaryReactor* GatewayService::PublishBulkData(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  auto caller = auth_.Authenticate(*context);
  if (!caller.ok()) return FinishUnary(context, caller.status());
  v1::BulkData bulk;
  if (absl::Status st = ParseRequest(*request, bulk); !st.ok()) {
    log_.Unparsable(GatewayRpc::kPublishBulkData, context->peer(),
                    st.message());
    return FinishUnary(context, st);
  }
  auto* reactor = context->DefaultReactor();
  // INVALID_ARGUMENT comes back before the call returns, while `bulk` is
  // still here to name in the log line (ingest.h).
  ingest_.PublishBulkAsync(
      ToBulkInput(bulk), Caller{caller->key_id, caller->key_name},
      [this, context, reactor, response, &bulk](IngestResult result) {
        if (result.ok()) {
          return FinishAccepted(reactor, result.accepted, response);
        }
        if (result.status.code() == absl::StatusCode::kInvalidArgument) {
          log_.UnaryRejected(
              GatewayRpc::kPublishBulkData, context->peer(),
              absl::StrCat("device ", bulk.device_id(), ", label '",
                           absl::string_view(bulk.label()).substr(0, 256), "'"),
              result.reason, result.message());
        }
        reactor->Finish(ToGrpcStatus(result.status));
      });
  return reactor;
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*
GatewayService::Publish(grpc::CallbackServerContext* context) {
  auto caller = auth_.Authenticate(*context);
  if (!caller.ok()) return new RejectedStream(caller.status());
  return new PublishReactor(ingest_, stream_window_, *std::move(caller),
                            rejects_, log_, context->peer());
}

}  // namespace streamgate
