// streamgate-load: load generator for the streamgate gRPC API (PublishEvent,
// and the Publish stream with single events or batches). Prints a human
// summary and one `RESULT key=value ...` line; exits 1 when anything failed.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "bench/grpc_load/event_factory.h"
#include "bench/grpc_load/load_options.h"
#include "bench/grpc_load/stream_driver.h"
#include "bench/grpc_load/unary_driver.h"
#include "grpcpp/grpcpp.h"
#include "streamgate/v1/gateway.grpc.pb.h"

namespace {

// absl flags are spelled with underscores; accept `--event-bytes` too.
std::vector<std::string> UnderscoreFlagNames(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i < args.size(); ++i) {
    std::string& a = args[i];
    if (a == "--") break;
    if (a.rfind("--", 0) != 0) continue;
    const size_t end = std::min(a.find('='), a.size());
    for (size_t j = 2; j < end; ++j) {
      if (a[j] == '-') a[j] = '_';
    }
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "gRPC load generator for streamgate.\n"
      "  streamgate-load --target 127.0.0.1:50051 --mode unary|stream|batch\n"
      "      [--inflight 64] [--batch 100] [--window 64] [--duration 10 | "
      "--count N]\n"
      "      [--devices 100] [--event-bytes 150] [--home-every 8]");
  std::vector<std::string> args = UnderscoreFlagNames(argc, argv);
  std::vector<char*> arg_ptrs;
  for (std::string& a : args) arg_ptrs.push_back(a.data());
  absl::ParseCommandLine(static_cast<int>(arg_ptrs.size()), arg_ptrs.data());

  absl::StatusOr<streamgate::bench::LoadOptions> options =
      streamgate::bench::LoadOptionsFromFlags();
  if (!options.ok()) {
    std::fprintf(stderr, "streamgate-load: %s\n",
                 std::string(options.status().message()).c_str());
    return 2;
  }
  streamgate::bench::EventFactory events(*options);
  const std::string sample = events.EstimateJson(events.Make(0));
  std::fprintf(stderr, "sample event (~%zu bytes rendered): %s\n", sample.size(),
               sample.c_str());

  grpc::ChannelArguments channel_args;
  channel_args.SetMaxSendMessageSize(64 << 20);
  channel_args.SetMaxReceiveMessageSize(64 << 20);
  auto channel = grpc::CreateCustomChannel(
      options->target, grpc::InsecureChannelCredentials(), channel_args);
  if (!channel->WaitForConnected(gpr_time_add(
          gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_seconds(10, GPR_TIMESPAN)))) {
    std::fprintf(stderr, "streamgate-load: cannot connect to %s\n",
                 options->target.c_str());
    return 1;
  }
  auto stub = streamgate::v1::Gateway::NewStub(channel);

  streamgate::bench::RunStats stats;
  if (options->mode == streamgate::bench::LoadMode::kUnary) {
    stats = streamgate::bench::UnaryDriver(*stub, *options, events).Run();
  } else {
    stats = streamgate::bench::StreamDriver(*stub, *options, events).Run();
  }
  std::printf("%s\n%s\n", stats.HumanLine(*options).c_str(),
              stats.MachineLine(*options).c_str());
  return stats.fatal.empty() && stats.errors() == 0 ? 0 : 1;
}
