#include "adapters/grpc/gateway_service.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "adapters/grpc/convert.h"
#include "adapters/grpc/publish_reactor.h"
#include "adapters/grpc/request_parser.h"
#include "gateway/common/log_text.h"
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
grpc::ServerUnaryReactor* FinishAccepted(grpc::CallbackServerContext* context,
                                         size_t records,
                                         grpc::ByteBuffer* response) {
  v1::PublishResponse answer;
  answer.set_records(static_cast<uint32_t>(records));
  return FinishUnary(context, SerializeResponse(answer, *response));
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
  IngestResult result;
  result.status = ToEventInput(event, "", in);
  if (!result.ok()) {
    result.reason = IngestReason::kInvalid;
    ReportRefused(rejects_, result.status, "event", event,
                  event.has_origin_device_id()
                      ? absl::make_optional(event.origin_device_id())
                      : absl::nullopt);
  } else {
    result = ingest_.PublishEvents(absl::MakeConstSpan(&in, 1),
                                   Caller{caller->key_id, caller->key_name});
  }
  if (result.ok()) return FinishAccepted(context, result.accepted, response);
  if (result.status.code() == absl::StatusCode::kInvalidArgument) {
    log_.UnaryRejected(GatewayRpc::kPublishEvent, context->peer(), "",
                       result.reason, result.message());
  }
  return FinishUnary(context, result.status);
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
  const IngestResult result = ingest_.PublishBulk(
      ToBulkInput(bulk), Caller{caller->key_id, caller->key_name});
  if (result.ok()) return FinishAccepted(context, result.accepted, response);
  if (result.status.code() == absl::StatusCode::kInvalidArgument) {
    log_.UnaryRejected(
        GatewayRpc::kPublishBulkData, context->peer(),
        absl::StrCat("device ", bulk.device_id(), ", label '",
                     absl::string_view(bulk.label()).substr(0, 256), "'"),
        result.reason, result.message());
  }
  return FinishUnary(context, result.status);
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*
GatewayService::Publish(grpc::CallbackServerContext* context) {
  auto caller = auth_.Authenticate(*context);
  if (!caller.ok()) return new RejectedStream(caller.status());
  return new PublishReactor(ingest_, stream_window_, *std::move(caller),
                            rejects_, log_, context->peer());
}

}  // namespace streamgate
