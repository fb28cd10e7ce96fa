#include "sinks/kinesis/stream_metadata.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gateway/common/json_text.h"
#include "gateway/common/status_macros.h"
#include "sinks/kinesis/codec.h"

namespace streamgate::kinesis {
namespace {

// A stream has at most a few thousand shards, at most 1,000 a page: more
// pages than this is an endpoint that never ends its list.
constexpr int kMaxPages = 100;

}  // namespace

absl::StatusOr<std::string> StreamMetadata::Call(absl::string_view action,
                                                 std::string body) const {
  absl::StatusOr<aws::HttpRequest> request =
      signer_.Sign(action, std::move(body), absl::Now());
  if (!request.ok()) {
    return absl::UnavailableError(
        absl::StrCat(action, ": credentials: ", request.status().message()));
  }
  aws::HttpResponse response = http_.SendSync(signer_.origin(), *std::move(request));
  if (response.error != aws::TransportError::kNone) {
    return absl::UnavailableError(absl::StrCat(action, ": ",
                                               aws::TransportErrorName(response.error),
                                               ": ", response.error_message));
  }
  if (response.status == 200) return std::move(response.body);
  ErrorBody err = ParseErrorBody(response.body);
  return absl::UnavailableError(
      absl::StrCat(action, ": ", err.type.empty() ? "HTTP error" : err.type, " (HTTP ",
                   response.status, ")", err.message.empty() ? "" : ": ", err.message));
}

absl::StatusOr<size_t> StreamMetadata::MaxRecordBytes() const {
  std::string body = "{\"StreamName\":";
  AppendJsonString(body, stream_name_);
  body.push_back('}');
  ASSIGN_OR_RETURN(std::string answer, Call("DescribeStreamSummary", std::move(body)));
  return ParseMaxRecordBytes(answer);
}

absl::StatusOr<ShardMap> StreamMetadata::LoadShardMap() const {
  std::vector<ShardRange> open;
  std::string token;
  for (int page = 0; page < kMaxPages; ++page) {
    // AWS refuses StreamName together with NextToken. No ShardFilter: not
    // every Kinesis-compatible endpoint knows it; closed shards are
    // dropped by the parser instead.
    std::string body;
    if (token.empty()) {
      body = "{\"StreamName\":";
      AppendJsonString(body, stream_name_);
    } else {
      body = "{\"NextToken\":";
      AppendJsonString(body, token);
    }
    body.push_back('}');
    ASSIGN_OR_RETURN(std::string answer, Call("ListShards", std::move(body)));
    absl::StatusOr<ListShardsPage> parsed = ParseListShardsPage(answer);
    if (!parsed.ok()) {
      return absl::DataLossError(absl::StrCat("ListShards: ", parsed.status().message()));
    }
    for (ShardRange& r : parsed->open_shards) open.push_back(std::move(r));
    token = std::move(parsed->next_token);
    if (token.empty()) {
      if (open.empty()) {
        return absl::FailedPreconditionError(
            absl::StrCat("ListShards: stream ", stream_name_, " has no open shard"));
      }
      return ShardMap::Build(std::move(open));
    }
  }
  return absl::DataLossError("ListShards: more than 100 pages");
}

}  // namespace streamgate::kinesis
