#include "sinks/kinesis/codec.h"

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "gateway/common/json_text.h"
#include "simdjson.h"

namespace streamgate::kinesis {

std::string EncodePutRecords(absl::string_view stream_name,
                             const PendingBatch& records) {
  // Sized once: base64 of every record, its key (escaping is rare; a key
  // that needs it only makes the string grow), the JSON around them.
  size_t estimate = 48 + stream_name.size();
  for (const auto& r : records) {
    estimate += (r.record.data->size() + 2) / 3 * 4 +
                r.record.partition_key.size() + r.explicit_hash_key.size() + 56;
  }
  std::string out;
  out.reserve(estimate);
  out.append("{\"StreamName\":");
  AppendJsonString(out, stream_name);
  out.append(",\"Records\":[");
  for (size_t i = 0; i < records.size(); ++i) {
    out.append(i > 0 ? ",{\"Data\":\"" : "{\"Data\":\"");
    AppendBase64(out, *records[i].record.data);
    out.append("\",\"PartitionKey\":");
    AppendJsonString(out, records[i].record.partition_key);
    if (!records[i].explicit_hash_key.empty()) {  // decimal digits only
      out.append(",\"ExplicitHashKey\":\"");
      out.append(records[i].explicit_hash_key);
      out.push_back('"');
    }
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

namespace {

std::string GetString(simdjson::dom::object obj, const char* key) {
  std::string_view v;
  if (obj[key].get(v) == simdjson::SUCCESS) return std::string(v);
  return {};
}

}  // namespace

absl::StatusOr<PutRecordsResponse> ParsePutRecordsResponse(absl::string_view body,
                                                           ResultDetail detail) {
  // One parser per thread keeps its buffers across answers (the sink parses
  // every answer on its HTTP thread).
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) {
    return absl::DataLossError("PutRecords answer is not a JSON object");
  }
  PutRecordsResponse out;
  int64_t failed = 0;
  if (root["FailedRecordCount"].get(failed) == simdjson::SUCCESS) {
    out.failed_record_count = static_cast<int>(failed);
  }
  simdjson::dom::array records;
  if (root["Records"].get(records) != simdjson::SUCCESS) {
    return absl::DataLossError("PutRecords answer has no Records array");
  }
  // First pass: validate every entry and count; copy nothing but the few
  // distinct shard ids (a request's records come grouped by shard).
  bool any_error = false;
  std::string_view last_shard;
  for (simdjson::dom::element e : records) {
    simdjson::dom::object rec;
    if (e.get(rec) != simdjson::SUCCESS) {
      return absl::DataLossError("PutRecords answer has a non-object record");
    }
    std::string_view seq, code;
    const bool has_code = rec["ErrorCode"].get(code) == simdjson::SUCCESS && !code.empty();
    const bool has_seq = rec["SequenceNumber"].get(seq) == simdjson::SUCCESS && !seq.empty();
    if (!has_code && !has_seq) {
      return absl::DataLossError(
          "PutRecords answer has a record with neither SequenceNumber nor ErrorCode");
    }
    any_error |= has_code;
    ++out.record_count;
    std::string_view shard;
    if (has_seq && rec["ShardId"].get(shard) == simdjson::SUCCESS && !shard.empty() &&
        shard != last_shard) {
      last_shard = shard;
      bool seen = false;
      for (const std::string& id : out.shard_ids) seen |= (id == shard);
      if (!seen && out.shard_ids.size() < kMaxAnswerShardIds) {
        out.shard_ids.emplace_back(shard);
      }
    }
  }
  if (detail == ResultDetail::kFailuresOnly && !any_error && out.failed_record_count == 0) {
    return out;
  }
  out.records.reserve(out.record_count);
  for (simdjson::dom::element e : records) {
    simdjson::dom::object rec = e.get_object().value_unsafe();
    RecordResult r;
    r.sequence_number = GetString(rec, "SequenceNumber");
    r.shard_id = GetString(rec, "ShardId");
    r.error_code = GetString(rec, "ErrorCode");
    r.error_message = GetString(rec, "ErrorMessage");
    out.records.push_back(std::move(r));
  }
  return out;
}

ErrorBody ParseErrorBody(absl::string_view body) {
  ErrorBody out;
  if (body.empty()) return out;
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body.data(), body.size());
  simdjson::dom::object root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) return out;
  out.type = GetString(root, "__type");
  size_t hash = out.type.rfind('#');
  if (hash != std::string::npos) out.type.erase(0, hash + 1);
  out.message = GetString(root, "message");
  if (out.message.empty()) out.message = GetString(root, "Message");
  return out;
}

}  // namespace streamgate::kinesis
