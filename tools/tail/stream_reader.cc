#include "tools/tail/stream_reader.h"

#include <thread>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gateway/common/json_text.h"
#include "sinks/kinesis/codec.h"
#include "simdjson.h"

namespace streamgate::kinesis {
namespace {

absl::StatusOr<simdjson::dom::object> ParseObject(simdjson::dom::parser& parser,
                                                  const std::string& body,
                                                  const char* action) {
  simdjson::dom::object obj;
  if (parser.parse(body).get(obj) != simdjson::SUCCESS) {
    return absl::DataLossError(absl::StrCat(action, ": answer is not a JSON object"));
  }
  return obj;
}

std::string Str(simdjson::dom::object obj, const char* key) {
  std::string_view v;
  if (obj[key].get(v) == simdjson::SUCCESS) return std::string(v);
  return {};
}

}  // namespace

absl::StatusOr<std::vector<ShardInfo>> StreamReader::ListShards() {
  std::vector<ShardInfo> shards;
  std::string next_token;
  simdjson::dom::parser parser;
  do {
    std::string body = "{";
    if (next_token.empty()) {
      body.append("\"StreamName\":");
      AppendJsonString(body, stream_name_);
    } else {
      body.append("\"NextToken\":");
      AppendJsonString(body, next_token);
    }
    body.append("}");
    absl::StatusOr<std::string> answer = api_.Call("ListShards", std::move(body));
    if (!answer.ok()) return answer.status();
    absl::StatusOr<simdjson::dom::object> obj = ParseObject(parser, *answer, "ListShards");
    if (!obj.ok()) return obj.status();
    simdjson::dom::array list;
    if ((*obj)["Shards"].get(list) != simdjson::SUCCESS) {
      return absl::DataLossError("ListShards: answer has no Shards");
    }
    for (simdjson::dom::element e : list) {
      simdjson::dom::object s;
      if (e.get(s) != simdjson::SUCCESS) continue;
      ShardInfo info;
      info.shard_id = Str(s, "ShardId");
      simdjson::dom::object range;
      if (s["HashKeyRange"].get(range) == simdjson::SUCCESS) {
        info.starting_hash_key = Str(range, "StartingHashKey");
        info.ending_hash_key = Str(range, "EndingHashKey");
      }
      shards.push_back(std::move(info));
    }
    next_token = Str(*obj, "NextToken");
  } while (!next_token.empty());
  return shards;
}

absl::StatusOr<std::string> StreamReader::GetShardIterator(const std::string& shard_id,
                                                           const std::string& type) {
  std::string body = "{\"StreamName\":";
  AppendJsonString(body, stream_name_);
  body.append(",\"ShardId\":");
  AppendJsonString(body, shard_id);
  body.append(",\"ShardIteratorType\":");
  AppendJsonString(body, type);
  body.append("}");
  absl::StatusOr<std::string> answer = api_.Call("GetShardIterator", std::move(body));
  if (!answer.ok()) return answer.status();
  simdjson::dom::parser parser;
  absl::StatusOr<simdjson::dom::object> obj =
      ParseObject(parser, *answer, "GetShardIterator");
  if (!obj.ok()) return obj.status();
  std::string it = Str(*obj, "ShardIterator");
  if (it.empty()) return absl::DataLossError("GetShardIterator: no ShardIterator");
  return it;
}

absl::StatusOr<RecordsPage> StreamReader::GetRecords(const std::string& shard_id,
                                                     const std::string& iterator,
                                                     int limit) {
  std::string body = "{\"ShardIterator\":";
  AppendJsonString(body, iterator);
  absl::StrAppend(&body, ",\"Limit\":", limit, "}");
  absl::StatusOr<std::string> answer = api_.Call("GetRecords", std::move(body));
  if (!answer.ok()) return answer.status();
  simdjson::dom::parser parser;
  absl::StatusOr<simdjson::dom::object> obj = ParseObject(parser, *answer, "GetRecords");
  if (!obj.ok()) return obj.status();
  RecordsPage page;
  page.next_iterator = Str(*obj, "NextShardIterator");
  int64_t behind = 0;
  if ((*obj)["MillisBehindLatest"].get(behind) == simdjson::SUCCESS) {
    page.millis_behind_latest = behind;
  }
  simdjson::dom::array records;
  if ((*obj)["Records"].get(records) != simdjson::SUCCESS) {
    return absl::DataLossError("GetRecords: answer has no Records");
  }
  for (simdjson::dom::element e : records) {
    simdjson::dom::object r;
    if (e.get(r) != simdjson::SUCCESS) continue;
    StreamRecord rec;
    rec.shard_id = shard_id;
    rec.sequence_number = Str(r, "SequenceNumber");
    rec.partition_key = Str(r, "PartitionKey");
    if (!absl::Base64Unescape(Str(r, "Data"), &rec.data)) {
      return absl::DataLossError("GetRecords: record Data is not base64");
    }
    page.records.push_back(std::move(rec));
  }
  return page;
}

absl::StatusOr<std::vector<StreamRecord>> StreamReader::ReadShard(
    const std::string& shard_id) {
  absl::StatusOr<std::string> it = GetShardIterator(shard_id, "TRIM_HORIZON");
  if (!it.ok()) return it.status();
  std::vector<StreamRecord> all;
  std::string iterator = *it;
  while (!iterator.empty()) {
    absl::StatusOr<RecordsPage> page = GetRecords(shard_id, iterator, 10000);
    if (!page.ok()) return page.status();
    const bool empty = page->records.empty();
    for (auto& r : page->records) all.push_back(std::move(r));
    if (empty && page->millis_behind_latest == 0) break;
    iterator = page->next_iterator;
  }
  return all;
}

absl::Status CreateStreamAndWait(KinesisApi& api, const std::string& stream_name,
                                 int shard_count, absl::Duration timeout) {
  std::string body = "{\"StreamName\":";
  AppendJsonString(body, stream_name);
  absl::StrAppend(&body, ",\"ShardCount\":", shard_count, "}");
  absl::StatusOr<std::string> created = api.Call("CreateStream", std::move(body));
  if (!created.ok()) return created.status();
  const absl::Time deadline = absl::Now() + timeout;
  simdjson::dom::parser parser;
  while (true) {
    std::string describe = "{\"StreamName\":";
    AppendJsonString(describe, stream_name);
    describe.append("}");
    absl::StatusOr<std::string> answer = api.Call("DescribeStreamSummary", describe);
    if (!answer.ok()) return answer.status();
    simdjson::dom::element root;
    std::string_view status;
    if (parser.parse(*answer).get(root) == simdjson::SUCCESS &&
        root["StreamDescriptionSummary"]["StreamStatus"].get(status) ==
            simdjson::SUCCESS &&
        status == "ACTIVE") {
      return absl::OkStatus();
    }
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("stream ", stream_name, " not ACTIVE in time"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace streamgate::kinesis
