// Fuzz target: the Kinesis answers the sink parses (sinks/kinesis/codec.h):
// ParsePutRecordsResponse for a 200 and ParseErrorBody for anything else.
// The body comes from the network (a real endpoint, a proxy, kinesalite), so
// neither may crash, and an accepted PutRecords answer must be usable.
//
// Invariants checked:
//  - an accepted answer has exactly one result per element of the body's
//    "Records" array, and each result is either a success (sequence number)
//    or a failure (error code), as the retrier assumes;
//  - a rejected answer is DATA_LOSS with a message (the sink retries it);
//  - ParseErrorBody's type has no "namespace#" prefix left.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "simdjson.h"
#include "sinks/kinesis/codec.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view body(reinterpret_cast<const char*>(data), size);
  auto response = streamgate::kinesis::ParsePutRecordsResponse(body);
  if (response.ok()) {
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
  return 0;
}
