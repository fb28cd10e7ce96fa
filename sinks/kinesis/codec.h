// Codec: the PutRecords wire format. EncodePutRecords builds the request
// JSON by hand into one string sized once (base64 written in place, escaped
// keys); ParsePutRecordsResponse and ParseErrorBody read Kinesis' answers.
// Pure functions; thread-safe (the response parser's buffers are per thread).
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sinks/kinesis/pending_record.h"

namespace streamgate::kinesis {

// {"StreamName":..,"Records":[{"Data":"<base64>","PartitionKey":".."
//   [,"ExplicitHashKey":"<decimal>"]},..]}
std::string EncodePutRecords(absl::string_view stream_name,
                             const PendingBatch& records);

struct RecordResult {
  std::string sequence_number;  // set on success
  std::string shard_id;
  std::string error_code;       // set on failure
  std::string error_message;
  bool ok() const { return error_code.empty() && !sequence_number.empty(); }
};

struct PutRecordsResponse {
  int failed_record_count = 0;
  size_t record_count = 0;            // entries in the answer's Records
  // The distinct ShardIds of the stored entries (at most kMaxAnswerShardIds),
  // with either detail: a shard the sink's map does not know means a reshard.
  std::vector<std::string> shard_ids;
  std::vector<RecordResult> records;  // in request order (see ResultDetail)
};

inline constexpr size_t kMaxAnswerShardIds = 64;

enum class ResultDetail {
  kAll,           // `records` always holds every entry
  kFailuresOnly,  // `records` is empty when every entry succeeded
};

// Parses a 200 answer. Fails when it is not the expected JSON, including
// an entry with neither SequenceNumber nor ErrorCode. With kFailuresOnly,
// the common all-success answer is validated entry by entry but nothing is
// copied out of it (the sink's data path); when any entry failed, every
// entry is returned as with kAll.
absl::StatusOr<PutRecordsResponse> ParsePutRecordsResponse(
    absl::string_view body, ResultDetail detail = ResultDetail::kAll);

struct ErrorBody {
  std::string type;     // "__type" without any "namespace#" prefix; may be empty
  std::string message;  // "message" or "Message"; may be empty
};

// Parses an error answer; never fails (an unparsable body gives empty fields).
ErrorBody ParseErrorBody(absl::string_view body);

}  // namespace streamgate::kinesis
