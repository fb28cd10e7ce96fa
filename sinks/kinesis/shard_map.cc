#include "sinks/kinesis/shard_map.h"

#include <openssl/evp.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "simdjson.h"

namespace streamgate::kinesis {
namespace {

// More shards than any stream may have (the account default is a few
// hundred; the hard ceiling is far below this): bounds a hostile answer.
constexpr size_t kMaxShards = 100000;
constexpr size_t kMaxShardIdBytes = 128;

}  // namespace

absl::uint128 HashKeyOf(absl::string_view partition_key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(partition_key.data(), partition_key.size(), digest, &len, EVP_md5(),
             nullptr);
  uint64_t hi = 0, lo = 0;
  for (int i = 0; i < 8; ++i) hi = (hi << 8) | digest[i];
  for (int i = 8; i < 16; ++i) lo = (lo << 8) | digest[i];
  return absl::MakeUint128(hi, lo);
}

absl::StatusOr<absl::uint128> ParseHashKey(absl::string_view decimal) {
  if (decimal.empty() || decimal.size() > 39) {
    return absl::InvalidArgumentError("hash key must be 1-39 decimal digits");
  }
  const absl::uint128 max = absl::Uint128Max();
  absl::uint128 v = 0;
  for (char c : decimal) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError("hash key must be decimal digits");
    }
    const unsigned d = static_cast<unsigned>(c - '0');
    if (v > (max - d) / 10) {
      return absl::InvalidArgumentError("hash key is above 2^128-1");
    }
    v = v * 10 + d;
  }
  return v;
}

absl::StatusOr<ListShardsPage> ParseListShardsPage(absl::string_view body) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body.data(), body.size());
  simdjson::dom::object root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) {
    return absl::DataLossError("ListShards answer is not a JSON object");
  }
  simdjson::dom::array shards;
  if (root["Shards"].get(shards) != simdjson::SUCCESS) {
    return absl::DataLossError("ListShards answer has no Shards array");
  }
  ListShardsPage page;
  std::string_view token;
  if (root["NextToken"].get(token) == simdjson::SUCCESS) page.next_token = token;
  for (simdjson::dom::element e : shards) {
    if (page.open_shards.size() + page.closed_shards >= kMaxShards) {
      return absl::DataLossError("ListShards answer lists too many shards");
    }
    simdjson::dom::object shard;
    std::string_view id, start, end;
    if (e.get(shard) != simdjson::SUCCESS ||
        shard["ShardId"].get(id) != simdjson::SUCCESS ||
        shard["HashKeyRange"]["StartingHashKey"].get(start) != simdjson::SUCCESS ||
        shard["HashKeyRange"]["EndingHashKey"].get(end) != simdjson::SUCCESS) {
      return absl::DataLossError(
          "ListShards answer has a shard without ShardId or HashKeyRange");
    }
    if (id.empty() || id.size() > kMaxShardIdBytes) {
      return absl::DataLossError("ListShards answer has a bad ShardId");
    }
    std::string_view ending;
    if (shard["SequenceNumberRange"]["EndingSequenceNumber"].get(ending) ==
        simdjson::SUCCESS) {
      ++page.closed_shards;  // split or merged away: takes no writes
      continue;
    }
    absl::StatusOr<absl::uint128> s =
        ParseHashKey(absl::string_view(start.data(), start.size()));
    absl::StatusOr<absl::uint128> t =
        ParseHashKey(absl::string_view(end.data(), end.size()));
    if (!s.ok() || !t.ok() || *s > *t) {
      return absl::DataLossError(
          absl::StrCat("ListShards answer has a bad hash-key range for ",
                       absl::string_view(id.data(), id.size())));
    }
    page.open_shards.push_back(ShardRange{std::string(id), *s, *t});
  }
  return page;
}

absl::StatusOr<size_t> ParseMaxRecordBytes(absl::string_view body) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body.data(), body.size());
  simdjson::dom::object root;
  simdjson::dom::object summary;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS ||
      root["StreamDescriptionSummary"].get(summary) != simdjson::SUCCESS) {
    return absl::DataLossError(
        "DescribeStreamSummary answer has no StreamDescriptionSummary");
  }
  int64_t kib = 0;
  simdjson::dom::element field;
  if (summary["MaxRecordSizeInKiB"].get(field) != simdjson::SUCCESS) {
    return size_t{1048576};  // not opted in: the classic 1 MiB
  }
  if (field.get(kib) != simdjson::SUCCESS || kib < 1 || kib > 1048576) {
    return absl::DataLossError("DescribeStreamSummary has a bad MaxRecordSizeInKiB");
  }
  return static_cast<size_t>(kib) * 1024;
}

absl::StatusOr<ShardMap> ShardMap::Build(std::vector<ShardRange> shards) {
  std::sort(shards.begin(), shards.end(),
            [](const ShardRange& a, const ShardRange& b) { return a.start < b.start; });
  for (size_t i = 1; i < shards.size(); ++i) {
    if (shards[i].start <= shards[i - 1].end) {
      return absl::DataLossError(absl::StrCat("open shards ", shards[i - 1].shard_id,
                                              " and ", shards[i].shard_id,
                                              " have overlapping hash-key ranges"));
    }
  }
  ShardMap map;
  map.shards_ = std::move(shards);
  return map;
}

std::optional<size_t> ShardMap::Lookup(absl::uint128 hash_key) const {
  // The last range starting at or below the key, if it reaches the key.
  auto it =
      std::upper_bound(shards_.begin(), shards_.end(), hash_key,
                       [](absl::uint128 k, const ShardRange& s) { return k < s.start; });
  if (it == shards_.begin()) return std::nullopt;
  --it;
  if (hash_key > it->end) return std::nullopt;
  return static_cast<size_t>(it - shards_.begin());
}

bool ShardMap::Has(absl::string_view shard_id) const {
  for (const ShardRange& s : shards_) {
    if (s.shard_id == shard_id) return true;
  }
  return false;
}

bool ShardMap::SameShards(const ShardMap& other) const {
  if (shards_.size() != other.shards_.size()) return false;
  for (size_t i = 0; i < shards_.size(); ++i) {
    const ShardRange& a = shards_[i];
    const ShardRange& b = other.shards_[i];
    if (a.shard_id != b.shard_id || a.start != b.start || a.end != b.end) return false;
  }
  return true;
}

}  // namespace streamgate::kinesis
