// Translation between the public protobuf API and the transport-neutral
// Ingest types, and absl::Status → grpc::Status (only here, at the gRPC
// edge). Pure functions, thread-safe.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "gateway/api/rejects.h"
#include "gateway/api/ingest.h"
#include "grpcpp/support/status.h"
#include "streamgate/v1/gateway.pb.h"

namespace streamgate {

// Fills `out` from `event` (views into `event`, which must outlive it).
// `prefix` is prepended to field names in errors ("events[2].").
absl::Status ToEventInput(const v1::Event& event, absl::string_view prefix,
                          EventInput& out);

BulkInput ToBulkInput(const v1::BulkData& bulk);

grpc::Status ToGrpcStatus(const absl::Status& status);

// Reports an input the adapter itself refused before Ingest saw it (a
// timestamp out of range, a stream item with nothing set) as a door reject
// (source "grpc"), with `message` serialized again as its raw bytes.
// Ingest's own refusals are reported by DeadLetteringIngest.
void ReportRefused(DoorRejects& rejects, const absl::Status& status,
                   absl::string_view rpc, const google::protobuf::MessageLite& message,
                   absl::optional<int64_t> device);

}  // namespace streamgate
