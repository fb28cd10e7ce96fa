// Fuzz target: the Kinesis wire codec (sinks/kinesis/codec.h). Mainly the
// answers the sink parses — ParsePutRecordsResponse for a 200 (both result
// details) and ParseErrorBody for anything else: the body comes from the
// network (a real endpoint, a proxy, kinesalite), so neither may crash and
// an accepted PutRecords answer must be usable. The same bytes also go
// through the request encoders' hand-written base64 and JSON string escaping.
//
// Invariants checked:
//  - an accepted answer has exactly one result per element of the body's
//    "Records" array, and each result is either a success (sequence number)
//    or a failure (error code), as the retrier assumes;
//  - a rejected answer is DATA_LOSS with a message (the sink retries it);
//  - kFailuresOnly accepts exactly what kAll accepts, with the same count,
//    and returns no entries when all succeeded (and FailedRecordCount is 0),
//    every entry when one failed;
//  - ParseErrorBody's type has no "namespace#" prefix left;
//  - AppendBase64 equals absl's base64 and decodes back to the input;
//  - AppendJsonString of valid UTF-8 parses back (simdjson) to the input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "simdjson.h"
#include "gateway/common/json_text.h"
#include "sinks/kinesis/codec.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  namespace k = streamgate::kinesis;
  auto response = k::ParsePutRecordsResponse(body, k::ResultDetail::kAll);
  auto failures = k::ParsePutRecordsResponse(body, k::ResultDetail::kFailuresOnly);
  FUZZ_CHECK(response.ok() == failures.ok(),
             "both result details accept the same answers");
  if (response.ok()) {
    FUZZ_CHECK(response->record_count == response->records.size(),
               "record_count counts the entries");
    FUZZ_CHECK(failures->record_count == response->record_count,
               "both result details count the same entries");
    bool any_failed = false;
    for (const auto& r : response->records) any_failed |= !r.ok();
    // When no entry failed but FailedRecordCount says otherwise, the parser
    // may return every entry (conservative); when both agree, nothing.
    if (!any_failed && response->failed_record_count == 0) {
      FUZZ_CHECK(failures->records.empty(),
                 "kFailuresOnly returns nothing when all succeeded");
    } else if (!(failures->records.empty() && !any_failed)) {
      FUZZ_CHECK(failures->records.size() == response->records.size(),
                 "kFailuresOnly returns every entry when one failed");
      for (size_t i = 0; i < response->records.size(); ++i) {
        const auto& a = response->records[i];
        const auto& b = failures->records[i];
        FUZZ_CHECK(a.sequence_number == b.sequence_number &&
                       a.shard_id == b.shard_id &&
                       a.error_code == b.error_code &&
                       a.error_message == b.error_message,
                   "both result details return the same entries");
      }
    }
    simdjson::dom::parser parser;
    simdjson::padded_string padded(body.data(), body.size());
    simdjson::dom::array records;
    FUZZ_CHECK(parser.parse(padded)["Records"].get(records) ==
                   simdjson::SUCCESS,
               "an accepted answer has a Records array");
    FUZZ_CHECK(records.size() == response->records.size(),
               "one result per element of Records");
    for (const auto& r : response->records) {
      FUZZ_CHECK(!r.sequence_number.empty() || !r.error_code.empty(),
                 "each result is a success or a failure");
      FUZZ_CHECK(r.ok() == r.error_code.empty(),
                 "ok() means no error code");
    }
  } else {
    FUZZ_CHECK(absl::IsDataLoss(response.status()),
               "an unusable answer is DATA_LOSS");
    FUZZ_CHECK(!response.status().message().empty(), "errors say why");
  }
  const streamgate::kinesis::ErrorBody error =
      streamgate::kinesis::ParseErrorBody(body);
  FUZZ_CHECK(error.type.find('#') == std::string::npos,
             "the error type has no namespace prefix");

  std::string b64;
  streamgate::AppendBase64(b64, body);
  FUZZ_CHECK(b64 == absl::Base64Escape(body), "base64 is standard base64");
  std::string decoded;
  FUZZ_CHECK(absl::Base64Unescape(b64, &decoded) && decoded == body,
             "base64 decodes back to the input");

  if (simdjson::validate_utf8(body.data(), body.size())) {
    std::string literal;
    streamgate::AppendJsonString(literal, body);
    simdjson::dom::parser string_parser;
    simdjson::padded_string padded_literal(literal);
    std::string_view parsed;
    FUZZ_CHECK(string_parser.parse(padded_literal).get(parsed) ==
                   simdjson::SUCCESS,
               "an escaped string is a valid JSON string");
    FUZZ_CHECK(absl::string_view(parsed.data(), parsed.size()) == body,
               "an escaped string parses back to the input");
  }
  return 0;
}
