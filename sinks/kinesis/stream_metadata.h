// StreamMetadata: the Kinesis sink's control-plane calls for one stream:
// DescribeStreamSummary (the stream's maximum record size) and ListShards
// (every page, NextToken, into a ShardMap of the open shards). Blocking
// calls over an HttpClient of their own, never the PutRecords one, so a
// slow control plane cannot hold up data.
//
// Threading: thread-safe (HttpClient and RequestSigner are); calls block,
// so never from an HttpClient callback.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sinks/aws/http_client.h"
#include "sinks/kinesis/request_signer.h"
#include "sinks/kinesis/shard_map.h"

namespace streamgate::kinesis {

class StreamMetadata {
 public:
  // Everything given must outlive this object.
  StreamMetadata(std::string stream_name, const RequestSigner& signer,
                 const aws::HttpClient& http)
      : stream_name_(std::move(stream_name)), signer_(signer), http_(http) {}

  // The stream's record size limit in bytes (data + partition key).
  absl::StatusOr<size_t> MaxRecordBytes() const;

  // The open shards. Fails (the caller keeps its old map) on any error or
  // on a stream with no open shard.
  absl::StatusOr<ShardMap> LoadShardMap() const;

 private:
  // The 200 body of `action`, or an error naming the action and the AWS
  // error code.
  absl::StatusOr<std::string> Call(absl::string_view action, std::string body) const;

  const std::string stream_name_;
  const RequestSigner& signer_;
  const aws::HttpClient& http_;
};

}  // namespace streamgate::kinesis
