// streamgate-kinesis-null: a null Kinesis endpoint for benchmarks. Every
// PutRecords succeeds; records and requests are counted, and on SIGTERM or
// SIGINT one `NULL_KINESIS key=value ...` line reports the totals and the
// sampled latency from the gateway's receive timestamp to PutRecords arrival.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/kinesis_null/null_kinesis_server.h"

namespace {

constexpr char kUsage[] =
    "usage: streamgate-kinesis-null [--port N] [--stats-interval SECONDS]\n"
    "                               [--sample-every N]\n"
    "Listens on 127.0.0.1:N (0 = any free port; the first stdout line says\n"
    "which) and answers every PutRecords with success. On SIGTERM/SIGINT\n"
    "prints `NULL_KINESIS put_requests=.. records=.. latency_p99_us=.. ...`.\n"
    "--sample-every N: decode one record in N to sample latency (0 = off).\n";

bool ParseInt(const char* s, int& out) {
  char* end = nullptr;
  const long v = std::strtol(s, &end, 10);  // NOLINT(runtime/int)
  if (end == s || *end != '\0' || v < 0 || v > 65535 * 1000) return false;
  out = static_cast<int>(v);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  streamgate::bench::NullKinesisOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--port" && has_value && ParseInt(argv[i + 1], options.port) &&
               options.port <= 65535) {
      ++i;
    } else if (a == "--sample-every" && has_value &&
               ParseInt(argv[i + 1], options.sample_every)) {
      ++i;
    } else if (a == "--stats-interval" && has_value) {
      options.stats_interval_s = std::strtod(argv[++i], nullptr);
    } else {
      std::fprintf(stderr, "streamgate-kinesis-null: bad argument %s\n%s", a.c_str(),
                   kUsage);
      return 2;
    }
  }
  auto server = streamgate::bench::NullKinesisServer::Create(options);
  if (!server.ok()) {
    std::fprintf(stderr, "streamgate-kinesis-null: %s\n",
                 std::string(server.status().message()).c_str());
    return 1;
  }
  std::fprintf(stdout, "listening 127.0.0.1:%d\n", (*server)->port());
  std::fflush(stdout);
  absl::Status s = (*server)->Run();
  if (!s.ok()) {
    std::fprintf(stderr, "streamgate-kinesis-null: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
