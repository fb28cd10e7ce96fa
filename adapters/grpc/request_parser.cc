#include "adapters/grpc/request_parser.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "adapters/grpc/wire_diagnosis.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/message.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"
#include "grpcpp/support/slice.h"

namespace streamgate {
namespace {

// The bytes of `buffer` in one string (failure paths only).
std::string Flatten(const grpc::ByteBuffer& buffer) {
  if (!buffer.Valid()) return "";
  grpc::Slice slice;
  if (!buffer.DumpToSingleSlice(&slice).ok()) return "";
  return std::string(reinterpret_cast<const char*>(slice.begin()),
                     slice.size());
}

}  // namespace

absl::Status ParseRequest(const grpc::ByteBuffer& buffer,
                          google::protobuf::Message& out) {
  if (!buffer.Valid()) {
    out.Clear();
    return absl::OkStatus();
  }
  {
    // ProtoBufferReader takes a mutable buffer but only reads it (through a
    // grpc_byte_buffer_reader of its own).
    grpc::ProtoBufferReader reader(const_cast<grpc::ByteBuffer*>(&buffer));
    if (reader.status().ok() && out.ParseFromZeroCopyStream(&reader)) {
      return absl::OkStatus();
    }
  }
  const google::protobuf::Descriptor& type = *out.GetDescriptor();
  std::string why = DiagnoseWireBytes(
      type, Flatten(buffer),
      google::protobuf::io::CodedInputStream::GetDefaultRecursionLimit());
  if (why.empty()) why = "the protobuf parser refused it";
  return absl::InvalidArgumentError(
      absl::StrCat("request is not a valid ", type.full_name(), ": ", why));
}

absl::optional<uint64_t> PeekVarintField(const grpc::ByteBuffer& buffer,
                                         int number) {
  return TopLevelVarint(Flatten(buffer), number);
}

absl::Status SerializeResponse(const google::protobuf::Message& message,
                               grpc::ByteBuffer& out) {
  bool own_buffer = false;
  grpc::Status st = grpc::GenericSerialize<grpc::ProtoBufferWriter,
                                           google::protobuf::Message>(
      message, &out, &own_buffer);
  if (st.ok()) return absl::OkStatus();
  return absl::InternalError(st.error_message());
}

}  // namespace streamgate
