#include "gateway/core/fan_out.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace streamgate {
namespace ingest_internal {

IngestResult TooMany(absl::string_view field, size_t count, size_t limit) {
  IngestResult r;
  r.status = absl::InvalidArgumentError(
      absl::StrCat(field, ": ", count, " records in one input exceed ",
                   "limits.max_records_per_input (", limit, "); split it"));
  r.reason = IngestReason::kTooLarge;
  return r;
}

IngestResult Refuse(IngestReason reason, int64_t index,
                    absl::string_view prefix, absl::string_view message) {
  IngestResult r;
  r.status = absl::InvalidArgumentError(absl::StrCat(prefix, message));
  r.reason = reason;
  r.bad_index = index;
  return r;
}

std::string TooLarge(size_t size, size_t limit) {
  return absl::StrCat(": record of ", size,
                      " bytes (data + partition key) exceeds the limit of ",
                      limit, " bytes");
}

FanError Fan(const Router& router, const std::vector<int>& targets,
             const RecordData& data, const std::string& natural_key,
             const KeyInput& key_input, size_t max_record_bytes,
             size_t expected, std::vector<ModuleShare>& shares) {
  FanError error;
  for (int m : targets) {
    const RoutedModule& mod = router.module(m);
    std::string key;
    if (mod.partition_key) {
      absl::Status st = ExpandPartitionKey(*mod.partition_key, key_input, key);
      if (!st.ok()) {
        error.reason = IngestReason::kInvalid;
        error.message = absl::StrCat(": module '", mod.id, "' partition_key ",
                                     st.message());
        return error;
      }
    } else if (mod.use_uuid) {
      AppendRandomUuidV4(key);
    } else if (natural_key.empty()) {
      error.reason = IngestReason::kInvalid;
      error.message = absl::StrCat(
          ": module '", mod.id,
          "' keys records by device id and this one has none (set device_id "
          "in the MQTT mapping, or partition_key or use_uuid on the module)");
      return error;
    } else {
      key = natural_key;
    }
    OutRecord r{data, std::move(key)};
    if (r.size() > max_record_bytes) {
      error.reason = IngestReason::kTooLarge;
      error.message = TooLarge(r.size(), max_record_bytes);
      return error;
    }
    shares[m].bytes += r.size();
    // Room for the whole input at a module's first record: no regrowth.
    if (shares[m].records.empty()) shares[m].records.reserve(expected);
    shares[m].records.push_back(std::move(r));
  }
  return error;
}

bool KeysByHome(const Router& router, const std::vector<int>& targets) {
  for (int m : targets) {
    const RoutedModule& mod = router.module(m);
    if (mod.partition_key && mod.partition_key->Uses(TemplateVar::kHomeId)) {
      return true;
    }
  }
  return false;
}

IngestResult Unqueued(absl::Status status) {
  IngestResult r;
  r.reason = status.code() == absl::StatusCode::kResourceExhausted
                 ? IngestReason::kFull
                 : IngestReason::kStoreFailed;
  r.status = std::move(status);
  return r;
}

IngestResult Accepted(size_t count) {
  IngestResult r;
  r.accepted = count;
  return r;
}

}  // namespace ingest_internal
}  // namespace streamgate
