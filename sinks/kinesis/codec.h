// Codec: the PutRecords wire format. EncodePutRecords builds the request
// JSON by hand into one reserved string (base64 data, escaped keys);
// ParsePutRecordsResponse and ParseErrorBody read Kinesis' answers.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sinks/kinesis/pending_record.h"

namespace streamgate::kinesis {

// {"StreamName":..,"Records":[{"Data":"<base64>","PartitionKey":".."},..]}
std::string EncodePutRecords(absl::string_view stream_name,
                             const PendingBatch& records);

// Appends `s` as a JSON string literal (with quotes) to `out`.
void AppendJsonString(absl::string_view s, std::string& out);

struct RecordResult {
  std::string sequence_number;  // set on success
  std::string shard_id;
  std::string error_code;       // set on failure
  std::string error_message;
  bool ok() const { return error_code.empty() && !sequence_number.empty(); }
};

struct PutRecordsResponse {
  int failed_record_count = 0;
  std::vector<RecordResult> records;  // in request order
};

// Parses a 200 answer. Fails when it is not the expected JSON.
absl::StatusOr<PutRecordsResponse> ParsePutRecordsResponse(absl::string_view body);

struct ErrorBody {
  std::string type;     // "__type" without any "namespace#" prefix; may be empty
  std::string message;  // "message" or "Message"; may be empty
};

// Parses an error answer; never fails (an unparsable body gives empty fields).
ErrorBody ParseErrorBody(absl::string_view body);

}  // namespace streamgate::kinesis
