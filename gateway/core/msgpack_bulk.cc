#include "gateway/core/msgpack_bulk.h"

#define MSGPACK_NO_BOOST 1
#include <msgpack.hpp>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace streamgate {
namespace {

// Visits one top-level object. Returning false from a visit stops the parse;
// `error` then says why.
class BulkVisitor : public msgpack::null_visitor {
 public:
  enum class Expect { kVersion, kRecordOrArray, kRecordOnly };

  BulkVisitor(Expect expect, size_t max_records,
              std::vector<std::string>& records)
      : expect_(expect), max_records_(max_records), records_(records) {}

  bool visit_str(const char* v, uint32_t size) { return Bytes(v, size, true); }
  bool visit_bin(const char* v, uint32_t size) { return Bytes(v, size, false); }

  bool start_array(uint32_t num_elements) {
    if (expect_ != Expect::kRecordOrArray || depth_ > 0) {
      return Fail(expect_ == Expect::kVersion ? "the first object must be the string \"1.0\""
                                             : "nested arrays are not allowed");
    }
    ++depth_;
    saw_array_ = true;
    // The count is untrusted input: never reserve more than a little.
    records_.reserve(records_.size() + std::min<uint32_t>(num_elements, 1024));
    return true;
  }
  bool end_array() {
    --depth_;
    return true;
  }

  bool visit_nil() { return NotBytes("nil"); }
  bool visit_boolean(bool) { return NotBytes("a boolean"); }
  bool visit_positive_integer(uint64_t) { return NotBytes("an integer"); }
  bool visit_negative_integer(int64_t) { return NotBytes("an integer"); }
  bool visit_float32(float) { return NotBytes("a float"); }
  bool visit_float64(double) { return NotBytes("a float"); }
  bool visit_ext(const char*, uint32_t) { return NotBytes("an ext object"); }
  bool start_map(uint32_t) { return NotBytes("a map"); }

  void parse_error(size_t, size_t error_offset) {
    if (error_.empty()) {
      error_ = absl::StrCat("invalid MessagePack at byte ", error_offset);
    }
  }
  void insufficient_bytes(size_t, size_t) {
    if (error_.empty()) error_ = "truncated MessagePack";
  }

  const std::string& error() const { return error_; }
  bool saw_array() const { return saw_array_; }

 private:
  bool Bytes(const char* v, uint32_t size, bool is_str) {
    if (expect_ == Expect::kVersion) {
      if (!is_str || absl::string_view(v, size) != "1.0") {
        return Fail("the first object must be the version string \"1.0\"");
      }
      return true;
    }
    if (records_.size() >= max_records_) {
      return Fail(absl::StrCat("more than ", max_records_,
                               " records (limits.max_records_per_input)"));
    }
    records_.emplace_back(v, size);
    return true;
  }
  bool NotBytes(const char* what) {
    if (expect_ == Expect::kVersion) {
      return Fail("the first object must be the version string \"1.0\"");
    }
    return Fail(absl::StrCat("a record must be bin or str, got ", what));
  }
  bool Fail(std::string why) {
    error_ = std::move(why);
    return false;
  }

  Expect expect_;
  const size_t max_records_;
  std::vector<std::string>& records_;
  std::string error_;
  int depth_ = 0;
  bool saw_array_ = false;
};

}  // namespace

absl::StatusOr<std::vector<std::string>> DecodeBulkPayload(
    absl::string_view payload, size_t max_records) {
  std::vector<std::string> records;
  if (payload.empty()) {
    return absl::InvalidArgumentError(
        "msgpack_payload: empty (the version string \"1.0\" is required)");
  }
  size_t off = 0;
  int index = 0;
  bool array_seen = false;
  while (off < payload.size()) {
    if (array_seen) {
      return absl::InvalidArgumentError(absl::StrCat(
          "msgpack_payload: trailing data after the record array at byte ",
          off));
    }
    auto expect = index == 0   ? BulkVisitor::Expect::kVersion
                  : index == 1 ? BulkVisitor::Expect::kRecordOrArray
                               : BulkVisitor::Expect::kRecordOnly;
    BulkVisitor visitor(expect, max_records, records);
    const size_t start = off;
    if (!msgpack::parse(payload.data(), payload.size(), off, visitor)) {
      std::string why = visitor.error().empty() ? "invalid MessagePack"
                                                : visitor.error();
      return absl::InvalidArgumentError(absl::StrCat(
          "msgpack_payload: object ", index, " at byte ", start, ": ", why));
    }
    array_seen = visitor.saw_array();
    ++index;
  }
  return records;
}

}  // namespace streamgate
