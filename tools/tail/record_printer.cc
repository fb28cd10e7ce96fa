#include "tools/tail/record_printer.h"

#include "absl/strings/str_cat.h"
#include "gateway/common/json_text.h"
#include "sinks/kinesis/aggregation/deaggregator.h"

namespace streamgate::kinesis {
namespace {

void AppendHead(std::string& line, const StreamRecord& record) {
  line.append("{\"shardId\":");
  AppendJsonString(line, record.shard_id);
  line.append(",\"sequenceNumber\":");
  AppendJsonString(line, record.sequence_number);
}

}  // namespace

std::string FormatRecord(const StreamRecord& record) {
  std::string line;
  AppendHead(line, record);
  line.append(",\"partitionKey\":");
  AppendJsonString(line, record.partition_key);
  line.append(",\"data\":\"");
  AppendBase64(line, record.data);
  line.append("\"}\n");
  return line;
}

std::string FormatDeaggregated(const StreamRecord& record,
                               std::string& warning) {
  warning.clear();
  if (!IsAggregated(record.data)) return FormatRecord(record);
  absl::StatusOr<std::vector<UserRecord>> users = Deaggregate(record.data);
  if (!users.ok()) {
    warning =
        absl::StrCat("record ", record.sequence_number, " of ", record.shard_id,
                     " printed as is: ", users.status().message());
    return FormatRecord(record);
  }
  std::string out;
  for (size_t i = 0; i < users->size(); ++i) {
    const UserRecord& user = (*users)[i];
    AppendHead(out, record);
    absl::StrAppend(&out, ",\"subSequenceNumber\":", i, ",\"partitionKey\":");
    AppendJsonString(out, user.partition_key);
    if (!user.explicit_hash_key.empty()) {
      out.append(",\"explicitHashKey\":");
      AppendJsonString(out, user.explicit_hash_key);
    }
    out.append(",\"data\":\"");
    AppendBase64(out, user.data);
    out.append("\"}\n");
  }
  return out;
}

}  // namespace streamgate::kinesis
