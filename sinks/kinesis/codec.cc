#include "sinks/kinesis/codec.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "simdjson.h"

namespace streamgate::kinesis {

void AppendJsonString(absl::string_view s, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (c < 0x20) {
          out.append("\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(ch);  // UTF-8 passes through
        }
    }
  }
  out.push_back('"');
}

std::string EncodePutRecords(absl::string_view stream_name,
                             const PendingBatch& records) {
  size_t estimate = 48 + stream_name.size();
  for (const auto& r : records) {
    estimate += (r.record.data->size() + 2) / 3 * 4 +
                r.record.partition_key.size() + 36;
  }
  std::string out;
  out.reserve(estimate);
  out.append("{\"StreamName\":");
  AppendJsonString(stream_name, out);
  out.append(",\"Records\":[");
  std::string b64;
  for (size_t i = 0; i < records.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append("{\"Data\":\"");
    absl::Base64Escape(*records[i].record.data, &b64);
    out.append(b64);
    out.append("\",\"PartitionKey\":");
    AppendJsonString(records[i].record.partition_key, out);
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

absl::StatusOr<PutRecordsResponse> ParsePutRecordsResponse(absl::string_view body) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body.data(), body.size());
  simdjson::dom::object root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) {
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
  for (simdjson::dom::element e : records) {
    simdjson::dom::object rec;
    if (e.get(rec) != simdjson::SUCCESS) {
      return absl::DataLossError("PutRecords answer has a non-object record");
    }
    RecordResult r;
    r.sequence_number = GetString(rec, "SequenceNumber");
    r.shard_id = GetString(rec, "ShardId");
    r.error_code = GetString(rec, "ErrorCode");
    r.error_message = GetString(rec, "ErrorMessage");
    if (r.error_code.empty() && r.sequence_number.empty()) {
      return absl::DataLossError(
          "PutRecords answer has a record with neither SequenceNumber nor ErrorCode");
    }
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
