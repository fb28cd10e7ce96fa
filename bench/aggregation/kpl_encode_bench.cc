// Encoding one KPL aggregate of ~150-byte user records: the sink's
// hand-written AggregateBuilder (varints straight into three buffers, one
// final copy, MD5) against the protobuf C++ classes generated from the same
// proto (message objects, a key-table map, SerializeToString, MD5). Both
// produce the same bytes (the unit tests compare the builder with protoc);
// this says which costs less per user record.
#include <openssl/evp.h>

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "kpl_aggregated_record.pb.h"
#include "sinks/kinesis/aggregation/aggregate_builder.h"

namespace {

struct Input {
  std::vector<std::string> keys;
  std::vector<std::string> data;
};

// 320 events of 150 bytes from 60 devices: one 50 KiB aggregate.
const Input& Events() {
  static const Input* input = [] {
    auto* in = new Input;
    for (int i = 0; i < 320; ++i) {
      in->keys.push_back(absl::StrCat(i % 60 + 1));
      in->data.push_back(std::string(150, static_cast<char>('a' + i % 26)));
    }
    return in;
  }();
  return *input;
}

void BM_AggregateBuilder(benchmark::State& state) {
  const Input& in = Events();
  streamgate::kinesis::AggregateBuilder builder(1 << 20);
  size_t bytes = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < in.keys.size(); ++i)
      builder.Add(in.keys[i], in.data[i]);
    std::string out = builder.Finish();
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * in.keys.size());
  state.counters["aggregate_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_AggregateBuilder);

void BM_GeneratedProtobuf(benchmark::State& state) {
  const Input& in = Events();
  size_t bytes = 0;
  for (auto _ : state) {
    streamgate::kpl::AggregatedRecord message;
    absl::flat_hash_map<std::string, uint64_t> index;
    for (size_t i = 0; i < in.keys.size(); ++i) {
      auto [it, added] = index.try_emplace(in.keys[i], index.size());
      if (added) message.add_partition_key_table(in.keys[i]);
      streamgate::kpl::Record* r = message.add_records();
      r->set_partition_key_index(it->second);
      r->set_data(in.data[i]);
    }
    std::string body;
    message.SerializeToString(&body);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(body.data(), body.size(), digest, &size, EVP_md5(), nullptr);
    std::string out;
    out.reserve(4 + body.size() + size);
    out.append(streamgate::kinesis::kKplMagic.data(), 4);
    out.append(body);
    out.append(reinterpret_cast<const char*>(digest), size);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * in.keys.size());
  state.counters["aggregate_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_GeneratedProtobuf);

}  // namespace

BENCHMARK_MAIN();
