// streamgate-sim: simulated devices publishing events (from a JSON file of
// templates) and/or bulk data to a streamgate gateway over MQTT (through a
// broker, on MODE's device topics) or gRPC, at a rate or as fast as
// possible, for a duration or a count. Prints what it sent each second and
// a final SUMMARY line. See README.md, "Device simulator".
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "tools/sim/grpc_publisher.h"
#include "tools/sim/message_source.h"
#include "tools/sim/mqtt_publisher.h"
#include "tools/sim/pacer.h"
#include "tools/sim/sim_options.h"
#include "tools/sim/sim_stats.h"

#include <mosquitto.h>

namespace {

// absl flags are spelled with underscores; accept --first-device-id too.
std::vector<char*> NormalizeFlagNames(int argc, char** argv,
                                      std::vector<std::string>& storage) {
  storage.assign(argv, argv + argc);
  for (size_t i = 1; i < storage.size(); ++i) {
    std::string& a = storage[i];
    if (a == "--") break;
    if (a.size() > 2 && a[0] == '-' && a[1] == '-') {
      const size_t end = a.find('=');
      for (size_t j = 2; j < std::min(end, a.size()); ++j) {
        if (a[j] == '-') a[j] = '_';
      }
    }
  }
  std::vector<char*> out;
  for (std::string& s : storage) out.push_back(s.data());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "simulated devices publishing to a streamgate gateway.\n"
      "  streamgate-sim --transport mqtt|grpc --target HOST:PORT --devices N\n"
      "    [--first-device-id ID] --events FILE [--bulk-label L "
      "--bulk-records K]\n"
      "    [--rate MSG_PER_S] [--duration 10s | --count N] [--qos 0|1] "
      "[--batch B]\n"
      "Prints one progress line per second and a final SUMMARY line.");
  std::vector<std::string> storage;
  std::vector<char*> args = NormalizeFlagNames(argc, argv, storage);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  // Debian's Abseil checks every lock for deadlock cycles: costly, and
  // this tool's lock order is trivial.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  auto options = streamgate::sim::SimOptionsFromFlags();
  if (!options.ok()) {
    std::fprintf(stderr, "streamgate-sim: %s\n",
                 std::string(options.status().message()).c_str());
    return 2;
  }
  auto source = streamgate::sim::MessageSource::Create(*options);
  if (!source.ok()) {
    std::fprintf(stderr, "streamgate-sim: %s\n",
                 std::string(source.status().message()).c_str());
    return 2;
  }

  streamgate::sim::SimStats stats;
  if (!options->quiet) stats.StartReporter();
  streamgate::sim::Pacer pacer(options->rate, options->count,
                               options->duration);
  absl::Status result;
  if (options->transport == streamgate::sim::Transport::kMqtt) {
    mosquitto_lib_init();
    {
      streamgate::sim::MqttPublisher publisher(*options, **source, stats);
      result = publisher.Run(pacer);
    }
    mosquitto_lib_cleanup();
  } else {
    streamgate::sim::GrpcPublisher publisher(*options, **source, stats);
    result = publisher.Run(pacer);
  }
  const double seconds = std::chrono::duration<double>(
                             streamgate::sim::Pacer::Clock::now() - pacer.start())
                             .count();
  stats.StopReporter();
  std::printf("%s\n",
              stats.Summary(streamgate::sim::TransportName(options->transport),
                            seconds)
                  .c_str());
  std::fflush(stdout);
  // Why calls failed, so a misconfigured run explains itself.
  if (const std::string reasons = stats.FailureReasons(); !reasons.empty()) {
    std::fprintf(stderr, "%s", reasons.c_str());
  }
  if (!result.ok()) {
    std::fprintf(stderr, "streamgate-sim: %s\n",
                 std::string(result.message()).c_str());
    return 1;
  }
  return stats.messages_failed() == 0 ? 0 : 3;
}
