// streamgate-template-bench: nanoseconds per partition key (MODE's id key
// next to templates) and per mapped-message template (topic levels, payload
// fields, which parse the JSON payload once per message). Single thread;
// prints one line per case. Usage: streamgate-template-bench [iterations]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "adapters/mqtt/message_source.h"
#include "gateway/core/partition_key.h"

namespace streamgate {
namespace {

constexpr char kSeed[] =
    R"({"deviceid": "1", "datetime": "2020-05-11 09:42:05", "temperature": "33", "humidity": "85"})";

template <typename F>
void Time(const char* name, long iterations, F&& f) {
  size_t sink = 0;
  const absl::Time start = absl::Now();
  for (long i = 0; i < iterations; ++i) sink += f();
  const double ns = absl::ToDoubleNanoseconds(absl::Now() - start) /
                    static_cast<double>(iterations);
  std::printf("%-44s %8.1f ns/call  (%zu)\n", name, ns, sink % 10);
}

int Main(long iterations) {
  MessageSource source;
  source.Reset("sensors/1", kSeed);
  KeyInput in;
  in.device_id = 123456;
  in.home_id = 42;
  in.label = "sensors";
  in.source = &source;
  std::string key;
  key.reserve(64);
  Time("IdKey (MODE rule)", iterations, [&] { return IdKey(123456).size(); });
  for (const char* text :
       {"${device_id}", "${home_id}-${label}", "${newuuid()}", "${topic(2)}",
        "site-${topic(1)}-${device_id}"}) {
    auto t = ParsePartitionKey(text);
    if (!t.ok()) return 1;
    Time(text, iterations, [&] {
      (void)ExpandPartitionKey(*t, in, key);
      return key.size();
    });
  }
  // ${payload.FIELD}: the first look-up of a message parses its payload.
  auto field = ParsePartitionKey("${payload.deviceid}");
  if (!field.ok()) return 1;
  Time("${payload.deviceid} (new message: parse)", iterations, [&] {
    source.Reset("sensors/1", kSeed);
    (void)ExpandPartitionKey(*field, in, key);
    return key.size();
  });
  Time("${payload.deviceid} (same message)", iterations, [&] {
    (void)ExpandPartitionKey(*field, in, key);
    return key.size();
  });
  return 0;
}

}  // namespace
}  // namespace streamgate

int main(int argc, char** argv) {
  const long iterations = argc > 1 ? std::atol(argv[1]) : 2000000;
  return streamgate::Main(iterations > 0 ? iterations : 1);
}
