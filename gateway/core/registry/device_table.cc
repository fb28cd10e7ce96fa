#include "gateway/core/registry/device_table.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace streamgate {

absl::optional<DeviceInfo> DeviceTable::Find(int64_t id) const {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it == ids_.end() || *it != id) return absl::nullopt;
  return info_at(static_cast<size_t>(it - ids_.begin()));
}

size_t DeviceTable::memory_bytes() const {
  size_t n = ids_.capacity() * sizeof(int64_t) +
             homes_.capacity() * sizeof(int64_t) +
             class_index_.capacity() * sizeof(uint32_t) +
             classes_.capacity() * sizeof(std::string);
  for (const std::string &c : classes_) n += c.capacity();
  return n;
}

DeviceTableBuilder::DeviceTableBuilder() {
  classes_.emplace_back();
  class_ids_.emplace("", 0);
  origins_.emplace_back("entry ", "");
}

void DeviceTableBuilder::SetOrigin(absl::string_view prefix,
                                   absl::string_view suffix) {
  origins_.emplace_back(std::string(prefix), std::string(suffix));
}

absl::Status DeviceTableBuilder::Add(int64_t id, int64_t home_id,
                                     absl::string_view device_class,
                                     uint32_t line) {
  if (rows_.size() >= kMaxDevices) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", kMaxDevices, " devices"));
  }
  auto it = class_ids_.find(device_class);
  if (it == class_ids_.end()) {
    const uint32_t index = static_cast<uint32_t>(classes_.size());
    classes_.emplace_back(device_class);
    it = class_ids_.emplace(classes_.back(), index).first;
  }
  rows_.push_back(Row{id, home_id, it->second,
                      static_cast<uint32_t>(origins_.size() - 1), line});
  return absl::OkStatus();
}

std::string DeviceTableBuilder::Where(const Row &row) const {
  const auto &[prefix, suffix] = origins_[row.origin];
  return absl::StrCat(prefix, row.line, suffix);
}

absl::StatusOr<std::shared_ptr<const DeviceTable>> DeviceTableBuilder::Build()
    && {
  // Rows arrive in (origin, line) order, so ties sorted by it name the
  // earlier place first — a stable sort without its extra buffer.
  std::sort(rows_.begin(), rows_.end(), [](const Row &a, const Row &b) {
    if (a.id != b.id) return a.id < b.id;
    if (a.origin != b.origin) return a.origin < b.origin;
    return a.line < b.line;
  });
  for (size_t i = 1; i < rows_.size(); ++i) {
    if (rows_[i].id == rows_[i - 1].id) {
      return absl::InvalidArgumentError(absl::StrCat(
          "device ", rows_[i].id, " is listed twice: ", Where(rows_[i - 1]),
          " and ", Where(rows_[i])));
    }
  }
  auto table = std::make_shared<DeviceTable>();
  const size_t n = rows_.size();
  table->ids_.reserve(n);
  table->homes_.reserve(n);
  table->class_index_.reserve(n);
  for (const Row &r : rows_) {
    table->ids_.push_back(r.id);
    table->homes_.push_back(r.home_id);
    table->class_index_.push_back(r.class_index);
  }
  std::vector<Row>().swap(rows_);  // the rows are twice the table: free now
  class_ids_.clear();              // its keys are copies; classes_ moves
  table->classes_ = std::move(classes_);
  return std::shared_ptr<const DeviceTable>(std::move(table));
}

}  // namespace streamgate
