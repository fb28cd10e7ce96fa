#include "sinks/kinesis/aggregation/deaggregator.h"

#include <openssl/evp.h>

#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "sinks/kinesis/aggregation/aggregate_builder.h"
#include "sinks/kinesis/aggregation/varint.h"

namespace streamgate::kinesis {
namespace {

constexpr size_t kMd5Size = 16;

absl::Status Malformed(absl::string_view what) {
  return absl::DataLossError(
      absl::StrCat("malformed KPL aggregated record: ", what));
}

// One field of a protobuf message: its number and wire type, and its
// varint value or length-delimited bytes.
struct Field {
  uint64_t number = 0;
  int wire_type = 0;
  uint64_t varint = 0;
  absl::string_view bytes;
};

// Reads the next field of `in` and consumes it; fixed32/fixed64 fields are
// read as bytes (nothing in this format uses them; unknown ones are skipped).
absl::StatusOr<Field> ReadField(absl::string_view& in) {
  std::optional<uint64_t> key = ReadVarint(in);
  if (!key) return Malformed("truncated field tag");
  Field field;
  field.number = *key >> 3;
  field.wire_type = static_cast<int>(*key & 7);
  size_t fixed = 0;
  switch (field.wire_type) {
    case 0: {
      std::optional<uint64_t> v = ReadVarint(in);
      if (!v) return Malformed("truncated varint");
      field.varint = *v;
      return field;
    }
    case 1:
      fixed = 8;
      break;
    case 5:
      fixed = 4;
      break;
    case 2: {
      std::optional<uint64_t> length = ReadVarint(in);
      if (!length) return Malformed("truncated length");
      if (*length > in.size()) return Malformed("length past the end");
      fixed = static_cast<size_t>(*length);
      break;
    }
    default:
      return Malformed("unsupported wire type");
  }
  if (fixed > in.size()) return Malformed("field past the end");
  field.bytes = in.substr(0, fixed);
  in.remove_prefix(fixed);
  return field;
}

struct RawRecord {
  uint64_t key_index = 0;
  std::optional<uint64_t> hash_index;
  absl::string_view data;
  bool has_key = false;
  bool has_data = false;
};

absl::StatusOr<RawRecord> ParseRecord(absl::string_view in) {
  RawRecord record;
  while (!in.empty()) {
    absl::StatusOr<Field> field = ReadField(in);
    if (!field.ok()) return field.status();
    if (field->number == 1 && field->wire_type == 0) {
      record.key_index = field->varint;
      record.has_key = true;
    } else if (field->number == 2 && field->wire_type == 0) {
      record.hash_index = field->varint;
    } else if (field->number == 3 && field->wire_type == 2) {
      record.data = field->bytes;
      record.has_data = true;
    }  // tags (4) and unknown fields are skipped
  }
  if (!record.has_key) return Malformed("record without partition_key_index");
  if (!record.has_data) return Malformed("record without data");
  return record;
}

}  // namespace

bool IsAggregated(absl::string_view data) {
  return data.size() >= kKplMagic.size() + kMd5Size &&
         data.substr(0, kKplMagic.size()) == kKplMagic;
}

absl::StatusOr<std::vector<UserRecord>> Deaggregate(absl::string_view data) {
  if (!IsAggregated(data)) {
    return absl::InvalidArgumentError("not a KPL aggregated record");
  }
  absl::string_view message =
      data.substr(kKplMagic.size(), data.size() - kKplMagic.size() - kMd5Size);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_Digest(message.data(), message.size(), digest, &digest_size, EVP_md5(),
             nullptr);
  if (digest_size != kMd5Size ||
      std::memcmp(digest, data.data() + data.size() - kMd5Size, kMd5Size) !=
          0) {
    return absl::DataLossError("KPL aggregated record: MD5 mismatch");
  }
  std::vector<absl::string_view> keys;
  std::vector<absl::string_view> hash_keys;
  std::vector<RawRecord> raw;
  while (!message.empty()) {
    absl::StatusOr<Field> field = ReadField(message);
    if (!field.ok()) return field.status();
    if (field->wire_type != 2) continue;
    if (field->number == 1) {
      keys.push_back(field->bytes);
    } else if (field->number == 2) {
      hash_keys.push_back(field->bytes);
    } else if (field->number == 3) {
      absl::StatusOr<RawRecord> record = ParseRecord(field->bytes);
      if (!record.ok()) return record.status();
      raw.push_back(*record);
    }
  }
  // Tables may come after records on the wire, so indices are resolved last.
  std::vector<UserRecord> out;
  out.reserve(raw.size());
  for (const RawRecord& r : raw) {
    if (r.key_index >= keys.size()) {
      return Malformed("partition_key_index out of the table");
    }
    UserRecord user;
    user.partition_key = keys[r.key_index];
    if (r.hash_index) {
      if (*r.hash_index >= hash_keys.size()) {
        return Malformed("explicit_hash_key_index out of the table");
      }
      user.explicit_hash_key = hash_keys[*r.hash_index];
    }
    user.data = r.data;
    out.push_back(user);
  }
  return out;
}

}  // namespace streamgate::kinesis
