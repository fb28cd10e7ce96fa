// Fuzz target: the MessagePack bulk-data decoder (gateway/core/msgpack_bulk.h),
// which reads untrusted bytes from every gRPC PublishBulk call and every MQTT
// bulkData message.
//
// Invariants checked on every accepted payload:
//  - the records appear in the input, in order and without overlapping (they
//    are copies of bin/str bodies), and with the version string and at least
//    one header byte per record, they fit in the input;
//  - re-encoding the records (version + one bin each) decodes to the same
//    records, and so does the single-array form.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#define MSGPACK_NO_BOOST 1
#include <msgpack.hpp>

#include "absl/strings/string_view.h"
#include "gateway/core/msgpack_bulk.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

std::string Encode(const std::vector<std::string>& records, bool as_array) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_str(3);
  pk.pack_str_body("1.0", 3);
  if (as_array) pk.pack_array(static_cast<uint32_t>(records.size()));
  for (const std::string& r : records) {
    pk.pack_bin(static_cast<uint32_t>(r.size()));
    pk.pack_bin_body(r.data(), static_cast<uint32_t>(r.size()));
  }
  return std::string(buf.data(), buf.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  auto records = streamgate::DecodeBulkPayload(input);
  if (!records.ok()) {
    FUZZ_CHECK(absl::IsInvalidArgument(records.status()),
               "a rejected payload must be INVALID_ARGUMENT");
    FUZZ_CHECK(!records.status().message().empty(), "rejection needs a reason");
    return 0;
  }
  // "1.0" as a str costs 4 bytes; each record at least one header byte.
  size_t total = 4;
  size_t pos = 4;
  for (const std::string& r : *records) {
    total += r.size() + 1;
    // Earliest match after the previous one: finds the real position or an
    // earlier one, so a real in-order layout is never missed.
    const size_t at = input.find(r, pos);
    FUZZ_CHECK(at != absl::string_view::npos,
               "each record is a substring of the input, in order");
    pos = at + r.size();
  }
  FUZZ_CHECK(total <= size, "records plus headers fit in the input");

  for (bool as_array : {false, true}) {
    const std::string again = Encode(*records, as_array);
    auto decoded = streamgate::DecodeBulkPayload(again);
    FUZZ_CHECK(decoded.ok(), "re-encoded records must decode");
    FUZZ_CHECK(*decoded == *records, "re-encoded records must round-trip");
  }
  return 0;
}
