#include "sinks/kinesis/aggregation/aggregate_builder.h"

#include <openssl/evp.h>

#include "sinks/kinesis/aggregation/varint.h"

namespace streamgate::kinesis {
namespace {

// Wire tags: (field number << 3) | wire type.
constexpr char kKeyTableTag = (1 << 3) | 2;   // AggregatedRecord.1, bytes
constexpr char kHashTableTag = (2 << 3) | 2;  // AggregatedRecord.2, bytes
constexpr char kRecordTag = (3 << 3) | 2;     // AggregatedRecord.3, message
constexpr char kKeyIndexTag = (1 << 3) | 0;   // Record.1, varint
constexpr char kHashIndexTag = (2 << 3) | 0;  // Record.2, varint
constexpr char kDataTag = (3 << 3) | 2;       // Record.3, bytes

size_t LengthDelimitedSize(size_t length) {
  return 1 + VarintSize(length) + length;
}

}  // namespace

AggregateBuilder::AggregateBuilder(size_t max_bytes) : max_bytes_(max_bytes) {}

AggregateBuilder::RecordLayout AggregateBuilder::Layout(
    absl::string_view partition_key, size_t data_size,
    absl::string_view explicit_hash_key) const {
  RecordLayout layout;
  auto key = key_index_.find(partition_key);
  if (key == key_index_.end()) {
    layout.key_index = key_index_.size();
    layout.key_table_growth = LengthDelimitedSize(partition_key.size());
  } else {
    layout.key_index = key->second;
  }
  size_t body = 1 + VarintSize(layout.key_index);
  if (!explicit_hash_key.empty()) {
    auto hash = hash_index_.find(explicit_hash_key);
    if (hash == hash_index_.end()) {
      layout.hash_index = hash_index_.size();
      layout.hash_table_growth = LengthDelimitedSize(explicit_hash_key.size());
    } else {
      layout.hash_index = hash->second;
    }
    body += 1 + VarintSize(layout.hash_index);
  }
  body += LengthDelimitedSize(data_size);
  layout.record_bytes = LengthDelimitedSize(body);
  return layout;
}

size_t AggregateBuilder::SizeWith(absl::string_view partition_key,
                                  size_t data_size,
                                  absl::string_view explicit_hash_key) const {
  RecordLayout layout = Layout(partition_key, data_size, explicit_hash_key);
  size_t base = empty() ? kKplOverhead + partition_key.size() : size();
  return base + layout.key_table_growth + layout.hash_table_growth +
         layout.record_bytes;
}

size_t AggregateBuilder::SizeWithRun(
    absl::string_view partition_key,
    const std::vector<size_t>& data_sizes) const {
  if (data_sizes.empty()) return size();
  RecordLayout first = Layout(partition_key, data_sizes[0], {});
  size_t grown = (empty() ? kKplOverhead + partition_key.size() : size()) +
                 first.key_table_growth + first.record_bytes;
  // The run's other records reuse the first one's key-table entry.
  for (size_t i = 1; i < data_sizes.size(); ++i) {
    grown += LengthDelimitedSize(1 + VarintSize(first.key_index) +
                                 LengthDelimitedSize(data_sizes[i]));
  }
  return grown;
}

bool AggregateBuilder::Add(absl::string_view partition_key,
                           absl::string_view data,
                           absl::string_view explicit_hash_key) {
  RecordLayout layout = Layout(partition_key, data.size(), explicit_hash_key);
  if (!empty()) {
    size_t grown = size() + layout.key_table_growth + layout.hash_table_growth +
                   layout.record_bytes;
    if (grown > max_bytes_) return false;
  } else {
    outer_key_.assign(partition_key.data(), partition_key.size());
  }
  if (layout.key_table_growth > 0) {
    key_index_.emplace(partition_key, layout.key_index);
    keys_.push_back(kKeyTableTag);
    AppendVarint(keys_, partition_key.size());
    keys_.append(partition_key.data(), partition_key.size());
  }
  if (layout.hash_table_growth > 0) {
    hash_index_.emplace(explicit_hash_key, layout.hash_index);
    hash_keys_.push_back(kHashTableTag);
    AppendVarint(hash_keys_, explicit_hash_key.size());
    hash_keys_.append(explicit_hash_key.data(), explicit_hash_key.size());
  }
  // The Record message: its length is what Layout computed, less the
  // field's own tag and length prefix.
  size_t body =
      1 + VarintSize(layout.key_index) + LengthDelimitedSize(data.size());
  if (!explicit_hash_key.empty()) body += 1 + VarintSize(layout.hash_index);
  records_.push_back(kRecordTag);
  AppendVarint(records_, body);
  records_.push_back(kKeyIndexTag);
  AppendVarint(records_, layout.key_index);
  if (!explicit_hash_key.empty()) {
    records_.push_back(kHashIndexTag);
    AppendVarint(records_, layout.hash_index);
  }
  records_.push_back(kDataTag);
  AppendVarint(records_, data.size());
  records_.append(data.data(), data.size());
  ++record_count_;
  return true;
}

std::string AggregateBuilder::Finish() {
  std::string out;
  if (empty()) return out;
  out.reserve(data_size());
  out.append(kKplMagic.data(), kKplMagic.size());
  out.append(keys_);
  out.append(hash_keys_);
  out.append(records_);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  EVP_Digest(out.data() + kKplMagic.size(), out.size() - kKplMagic.size(),
             digest, &digest_size, EVP_md5(), nullptr);
  out.append(reinterpret_cast<const char*>(digest), digest_size);
  Clear();
  return out;
}

void AggregateBuilder::Clear() {
  record_count_ = 0;
  outer_key_.clear();
  keys_.clear();
  hash_keys_.clear();
  records_.clear();
  key_index_.clear();
  hash_index_.clear();
}

}  // namespace streamgate::kinesis
