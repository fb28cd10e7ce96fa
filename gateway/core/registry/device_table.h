// DeviceTable: the device registry's data, compact and immutable — device
// id → home id and class for up to millions of devices at about 20 bytes
// each (sorted id and home arrays, a 4-byte class index, class names
// interned once). DeviceTableBuilder collects rows from the config's inline
// `devices:` list and a devices file, refuses a duplicate id naming both
// places, and freezes the table.
//
// Threading: a built table is immutable and may be read from any thread;
// the builder is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/optional.h"

namespace streamgate {

// A device's registry entry. `device_class` points into the table and stays
// valid while the table lives (empty: no class).
struct DeviceInfo {
  int64_t home_id = 0;
  absl::string_view device_class;
};

class DeviceTable {
 public:
  DeviceTable() = default;
  DeviceTable(const DeviceTable &) = delete;
  DeviceTable &operator=(const DeviceTable &) = delete;

  absl::optional<DeviceInfo> Find(int64_t id) const;

  size_t size() const { return ids_.size(); }
  // The i-th device in id order, 0 <= i < size().
  int64_t id_at(size_t i) const { return ids_[i]; }
  DeviceInfo info_at(size_t i) const {
    return DeviceInfo{homes_[i], classes_[class_index_[i]]};
  }
  size_t class_count() const { return classes_.size(); }
  // Heap bytes held (arrays and class names), for the registry metrics.
  size_t memory_bytes() const;

 private:
  friend class DeviceTableBuilder;

  std::vector<int64_t> ids_;  // ascending
  std::vector<int64_t> homes_;
  std::vector<uint32_t> class_index_;
  std::vector<std::string> classes_;  // [0] is "" (no class)
};

class DeviceTableBuilder {
 public:
  DeviceTableBuilder();

  // At most this many devices (the line numbers kept while building are
  // 32-bit); a larger file is refused.
  static constexpr size_t kMaxDevices = 100000000;

  // Rows added from now on come from `prefix` + N + `suffix` ("devices.csv
  // line " 12 "", "devices[" 3 "]"), the place a duplicate-id error names.
  // Kept as an index per row, so a million rows from one file cost nothing.
  void SetOrigin(absl::string_view prefix, absl::string_view suffix);
  // `id` and `home_id` must be > 0 (the parsers check). Fails past
  // kMaxDevices.
  absl::Status Add(int64_t id, int64_t home_id, absl::string_view device_class,
                   uint32_t line);
  size_t size() const { return rows_.size(); }
  // Sorts, refuses a duplicate id ("device 7 is listed twice: devices.csv
  // line 3 and line 9"), and returns the frozen table.
  absl::StatusOr<std::shared_ptr<const DeviceTable>> Build() &&;

 private:
  struct Row {
    int64_t id;
    int64_t home_id;
    uint32_t class_index;
    uint32_t origin;  // index into origins_
    uint32_t line;    // line or list index in that origin
  };
  std::string Where(const Row &row) const;

  std::vector<Row> rows_;
  std::vector<std::string> classes_;
  absl::flat_hash_map<std::string, uint32_t> class_ids_;
  std::vector<std::pair<std::string, std::string>> origins_;
};

}  // namespace streamgate
