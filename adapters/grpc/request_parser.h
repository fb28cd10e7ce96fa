// Parsing of the Gateway service's requests from the raw bytes gRPC hands
// its raw callback methods. The generated (non-raw) path lets gRPC parse,
// and a request protobuf refuses (invalid UTF-8 in a proto3 string, a
// Struct nested past the recursion limit) then comes back UNIMPLEMENTED
// with no message, no log line and no counter. Parsing here instead lets
// the adapter answer INVALID_ARGUMENT with the reason, log and count it.
//
// The success path costs what gRPC's own parse costs: protobuf reads the
// ByteBuffer's slices in place through grpc::ProtoBufferReader, and a
// reused message keeps its allocations. Only a failure flattens the bytes
// (for DiagnoseWireBytes).
//
// Pure functions over their arguments; thread-safe for distinct arguments.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/optional.h"
#include "grpcpp/support/byte_buffer.h"

namespace google::protobuf {
class Message;
}

namespace streamgate {

// Parses `buffer` into `out` (cleared first). On failure: INVALID_ARGUMENT
// "request is not a valid streamgate.v1.Event: <why>" (see
// DiagnoseWireBytes for the reasons), and `out` is unspecified. An invalid
// (absent) buffer reads as an empty message.
absl::Status ParseRequest(const grpc::ByteBuffer& buffer,
                          google::protobuf::Message& out);

// The top-level varint field `number` of `buffer` (a PublishRequest's id
// when the request does not parse); nullopt when it cannot be read.
absl::optional<uint64_t> PeekVarintField(const grpc::ByteBuffer& buffer,
                                         int number);

// Serializes `message` into `out` (what gRPC's generated code would send).
absl::Status SerializeResponse(const google::protobuf::Message& message,
                               grpc::ByteBuffer& out);

}  // namespace streamgate
