// streamgate-sim: simulated devices publishing events (from a JSON file of
// templates) and/or bulk data to a streamgate gateway over MQTT (through a
// broker, on MODE's device topics) or gRPC, at a rate or as fast as
// possible, for a duration or a count. Prints what it sent each second and
// a final SUMMARY line. See README.md, "Device simulator".
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/flags/usage.h"
#include "absl/synchronization/mutex.h"
#include "tools/sim/gateway_metrics.h"
#include "tools/sim/gateway_view.h"
#include "tools/sim/grpc_publisher.h"
#include "tools/sim/message_source.h"
#include "tools/sim/mqtt_publisher.h"
#include "tools/sim/pacer.h"
#include "tools/sim/sim_options.h"
#include "tools/sim/sim_stats.h"

#include <curl/curl.h>
#include <mosquitto.h>

namespace {

// The simulator's own flags (Abseil's --help would list only flags defined
// in main.cc, i.e. none, or Abseil's own). sim_help_test.py checks every
// ABSL_FLAG of sim_options.cc is listed here.
constexpr char kHelp[] = R"(streamgate-sim: simulated devices publishing to a streamgate gateway.

Usage:
  streamgate-sim --transport mqtt|grpc --target HOST:PORT --devices N
    [--first-device-id ID] --events FILE [--bulk-label L --bulk-records K]
    [--rate MSG_PER_S] [--duration 10s | --count N] [--qos 0|1] [--batch B]

What and how much:
  --transport mqtt|grpc     through a broker on MODE's device topics, or
                            straight to the gateway's gRPC port (default mqtt)
  --target HOST:PORT        the broker (default 127.0.0.1:1883) or the
                            gateway's gRPC port (default 127.0.0.1:50051)
  --devices N               number of simulated devices (default 10)
  --first-device-id ID      device ids ID .. ID+N-1 (default 1)
  --events FILE             JSON list of {"eventType": ..., "eventData": {...}}
                            templates, published round-robin
  --bulk-label L            also publish bulk data (MessagePack, spec 1.2)
                            under label L; with --events, messages alternate
  --bulk-records K          records per bulk payload (default 4)
  --bulk-record-bytes B     bytes per bulk record (default 32)
  --rate R                  messages/s over all devices (default 0: as fast
                            as the peer takes them)
  --duration D              how long to run, e.g. 30s (default 10s)
  --count N                 messages to send instead (events + bulk payloads)

MQTT:
  --qos 0|1                 QoS (default 1)
  --mqtt-auth-device-id     one connection per device, username = device id
  --mqtt-password P         password with --mqtt-auth-device-id
  --gateway-config FILE     the gateway's config: warns about devices it
                            refuses (not in devices:, no mqtt.default_home_id)
                            and event types or labels no module takes, and
                            counts refused messages as failed (a PUBACK is
                            the broker's, not the gateway's)
  --gateway-metrics HOST:PORT
                            the gateway's metrics.listen: scrapes its MQTT
                            counters before and after the run, prints a
                            GATEWAY line (received, accepted, rejected by
                            reason) and counts the rejected as failed
                            (assumes no other MQTT publisher meanwhile)

gRPC:
  --grpc-mode stream|unary  one Publish stream, or unary calls (default stream)
  --batch B                 stream: events per request (EventBatch if > 1)
  --window W                requests (gRPC) or QoS 1 messages (MQTT)
                            unanswered at most (default 256)
  --inflight C              unary: concurrent calls (default 8)
  --home-id H               home_id of each event (default 0: the gateway's
                            registry supplies it)
  --api-key-env VAR         environment variable holding the API key, sent
                            as "authorization: Bearer ..." (default
                            STREAMGATE_API_KEY); never on the command line

Output:
  --quiet                   no per-second progress lines
  --help                    this text

Flags take - or _ (--first-device-id = --first_device_id). Prints one line
per second and a final SUMMARY line. Exit 0 = all acked, 3 = some failed
(or refused by the gateway, with --gateway-config), 1 = the transport
failed, 2 = bad flags.
)";

bool IsHelpFlag(const std::string& a) {
  return a == "--help" || a == "-h" || a == "-help" || a == "--helpfull" ||
         a == "--helpshort" || a == "--help=true";
}

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
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--") break;
    if (IsHelpFlag(argv[i])) {
      std::fputs(kHelp, stdout);
      return 0;
    }
  }
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

  absl::optional<streamgate::sim::GatewayView> gateway;
  if (!options->gateway_config.empty()) {
    auto view = streamgate::sim::GatewayView::Load(options->gateway_config);
    if (!view.ok()) {
      std::fprintf(stderr, "streamgate-sim: %s\n",
                   std::string(view.status().message()).c_str());
      return 2;
    }
    gateway = *std::move(view);
    for (const std::string& w : gateway->Warnings(*options, **source)) {
      std::fprintf(stderr, "streamgate-sim: warning: %s\n", w.c_str());
    }
  }

  const bool scrape =
      !options->gateway_metrics.empty() &&
      options->transport == streamgate::sim::Transport::kMqtt;
  streamgate::sim::MqttIntake intake_before;
  if (scrape) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    auto before = streamgate::sim::ScrapeMqttIntake(options->gateway_metrics,
                                                    absl::Seconds(10));
    if (!before.ok()) {
      std::fprintf(stderr, "streamgate-sim: %s\n",
                   std::string(before.status().message()).c_str());
      return 1;
    }
    intake_before = *before;
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
  // The broker acknowledged these, but the gateway refuses them: count them
  // as failed so the summary and exit status do not claim they arrived.
  if (scrape) {
    // The gateway reads behind the broker: wait (bounded) until it has
    // received what the broker acknowledged, then take its word.
    streamgate::sim::MqttIntake delta;
    const absl::Time until = absl::Now() + absl::Seconds(10);
    while (true) {
      auto after = streamgate::sim::ScrapeMqttIntake(options->gateway_metrics,
                                                     absl::Seconds(10));
      if (!after.ok()) {
        std::fprintf(stderr, "streamgate-sim: %s\n",
                     std::string(after.status().message()).c_str());
        return 1;
      }
      delta = after->Minus(intake_before);
      if (delta.received >= static_cast<double>(stats.messages_acked()) ||
          absl::Now() > until) {
        break;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    std::string reasons;
    for (const auto& [reason, n] : delta.rejected) {
      absl::StrAppend(&reasons, " rejected_", reason, "=",
                      static_cast<int64_t>(n));
    }
    std::printf("GATEWAY received_messages=%lld accepted_messages=%lld "
                "rejected_messages=%lld%s\n",
                static_cast<long long>(delta.received),
                static_cast<long long>(delta.accepted),
                static_cast<long long>(delta.rejected_total()), reasons.c_str());
    const auto refused = static_cast<int64_t>(delta.rejected_total());
    if (refused > 0) {
      stats.Refused("REFUSED_BY_GATEWAY", refused, 0,
                    absl::StrCat("the broker acknowledged them, but the "
                                 "gateway's counters say it rejected them:",
                                 reasons));
    }
  } else if (gateway &&
             options->transport == streamgate::sim::Transport::kMqtt) {
    const auto refused =
        gateway->RefusedMessages(**source, stats.messages_sent());
    if (refused.messages > 0) {
      stats.Refused("REFUSED_BY_GATEWAY", refused.messages, refused.records,
                    "the broker acknowledged them, but the gateway's config "
                    "refuses their devices (see the warning above)");
    }
  }
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
