// streamgate: the gateway binary. Parses flags, loads the config (or the
// embedded default), builds the Gateway, logs its summary and waits for
// signals: SIGTERM and SIGINT drain and exit (with final totals), SIGHUP
// reloads the config — modules, device registry, default_home_id,
// log_level (on the RegistryReloader's thread; Server::Reload) — and the
// adapters' TLS files. A TotalsReporter logs per-module totals meanwhile.
#include <malloc.h>
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <iterator>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "adapters/grpc/api_key_auth.h"
#include "gateway/common/async_log_sink.h"
#include "gateway/common/log_text.h"
#include "gateway/common/logging.h"
#include "gateway/core/config.h"
#include "gateway/server/builtin.h"
#include "gateway/server/fd_limit.h"
#include "gateway/server/registry_reloader.h"
#include "gateway/server/config_check.h"
#include "gateway/server/gateway_summary.h"
#include "gateway/server/server.h"
#include "gateway/server/totals_reporter.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace {

constexpr char kHelp[] =
    R"(streamgate — edge gateway: gRPC and MQTT in; Kinesis, file or stdout out.

Usage:
  streamgate [--config FILE]        run (with no config: the embedded default,
                                    gRPC on 127.0.0.1:50051 and every event and
                                    bulk label to stdout)
  streamgate --check-config FILE    validate FILE (modules, sinks, adapters,
                                    paths to create): exit 0 and print the
                                    summary if valid, else print every
                                    error (file and line) and exit 1
  streamgate --print-default-config print the embedded default config
  streamgate --hash-key             read an API key on stdin (one trailing
                                    newline stripped) and print the
                                    lower-case hex SHA-256 for api_keys
  streamgate --help | --version

Options:
  --config FILE      YAML configuration (see README.md for every field)
  --log-level LEVEL  trace|debug|info|warn|error|critical|off (overrides
                     the config's log_level)
  --totals-interval-s N
                     log one line of totals per module (in, delivered,
                     dead-lettered, queued, rates) every N seconds at info;
                     0 turns it off (default 60). Totals are logged at
                     shutdown either way.

Signals:
  SIGTERM, SIGINT    stop: health NOT_SERVING, new calls UNAVAILABLE, queues
                     flushed within shutdown_timeout_ms, then exit 0
                     (exit 1 if records were left undelivered)
  SIGHUP             reload the config in the background: modules added,
                     changed or removed (a removed or changed module's
                     queue drains first), devices, devices_file,
                     default_home_id and log_level; a change to anything
                     else (listen addresses, TLS, limits, ...) or an
                     invalid config is refused and the current config
                     kept. Also re-reads the grpc.tls certificate files
)";

// One "streamgate: " line per line of `message` (config errors come one
// per line).
int Fail(const std::string& message) {
  size_t begin = 0;
  while (begin <= message.size()) {
    size_t end = message.find('\n', begin);
    if (end == std::string::npos) end = message.size();
    std::fprintf(stderr, "streamgate: %s\n",
                 message.substr(begin, end - begin).c_str());
    begin = end + 1;
  }
  return 1;
}

}  // namespace

int main(int argc, char **argv) {
  std::string config_path;
  std::string log_level;
  bool check_only = false;
  int64_t totals_interval_s = 60;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char *flag) -> const char * {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "streamgate: %s needs a value\n", flag);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kHelp, stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("streamgate %s\n", streamgate::GatewayVersion());
      return 0;
    } else if (arg == "--print-default-config") {
      std::fputs(streamgate::DefaultConfigYaml(), stdout);
      return 0;
    } else if (arg == "--hash-key") {
      std::string key((std::istreambuf_iterator<char>(std::cin)),
                      std::istreambuf_iterator<char>());
      if (!key.empty() && key.back() == '\n') key.pop_back();
      if (!key.empty() && key.back() == '\r') key.pop_back();
      if (key.empty()) return Fail("--hash-key: no key on stdin");
      std::printf("%s\n",
                  streamgate::ApiKeyAuthenticator::HashKey(key).c_str());
      return 0;
    } else if (arg == "--config") {
      config_path = value("--config");
    } else if (arg == "--check-config") {
      config_path = value("--check-config");
      check_only = true;
    } else if (arg == "--log-level") {
      log_level = value("--log-level");
    } else if (arg == "--totals-interval-s") {
      const char* v = value("--totals-interval-s");
      if (!absl::SimpleAtoi(v, &totals_interval_s) || totals_interval_s < 0 ||
          totals_interval_s > 86400) {
        std::fprintf(stderr,
                     "streamgate: --totals-interval-s: must be 0..86400, "
                     "got '%s'\n",
                     v);
        return 2;
      }
    } else {
      std::fprintf(stderr, "streamgate: unknown argument '%s' (see --help)\n",
                   arg.c_str());
      return 2;
    }
  }

  // Debian builds Abseil with Mutex deadlock detection on: it made every
  // lock/unlock ~3.5x dearer (2-6% of gateway CPU on small messages).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  // Logging never blocks a caller: a stderr nobody reads drops lines
  // (counted) instead of stalling gRPC threads.
  streamgate::AsyncLogSink::Install(
      "streamgate", std::make_shared<streamgate::AsyncLogSink>());

  streamgate::SinkRegistry sinks;
  streamgate::RegisterBuiltinSinks(sinks);
  streamgate::AdapterRegistry adapters;
  streamgate::RegisterBuiltinAdapters(adapters);
  const std::vector<std::string> sections = adapters.Sections();

  if (check_only) {
    const streamgate::ConfigCheck check =
        streamgate::CheckConfigFile(config_path, sinks, adapters);
    for (const std::string& e : check.errors) Fail(e);
    if (!check.errors.empty()) return 1;
    std::printf("%s: OK\n", config_path.c_str());
    for (const std::string& line : check.summary) {
      std::printf("%s\n", line.c_str());
    }
    return 0;
  }

  std::unique_ptr<streamgate::Server> gateway;
  {
    // Scoped: a GatewayConfig holds the YAML document, and yaml-cpp nodes
    // are copied, not moved, so this one must end here to free it.
    auto config =
        config_path.empty()
            ? streamgate::ParseConfig(streamgate::DefaultConfigYaml(),
                                      "<default>", sections)
            : streamgate::LoadConfigFile(config_path, sections);
    if (!config.ok()) return Fail(std::string(config.status().message()));
    if (!log_level.empty()) config->log_level = log_level;
    const auto level = streamgate::ParseLogLevel(config->log_level);
    if (!level) {
      std::fprintf(stderr, "streamgate: --log-level: must be one of %s\n",
                   streamgate::kLogLevelNames);
      return 2;
    }
    spdlog::set_level(*level);
    auto created =
        streamgate::Server::Create(*std::move(config), sinks, adapters);
    if (!created.ok()) return Fail(std::string(created.status().message()));
    gateway = *std::move(created);
  }
  // The YAML tree (many small blocks for a large inline `devices:` list)
  // is freed: give its pages back to the system.
  malloc_trim(0);
  for (const std::string& line : gateway->summary()) {
    spdlog::info("{}", line);
  }

  // Block the signals before any thread starts, so every thread inherits
  // the mask and only sigwait below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Before any socket exists: gRPC 1.51's listener never recovers from
  // having hit the fd limit once.
  auto fds = streamgate::RaiseFdLimitToHard();
  if (fds.ok()) {
    spdlog::info("open files limit: soft {} (was {}), hard {}", fds->soft,
                 fds->soft_before, fds->hard);
  } else {
    spdlog::warn("open files limit not raised: {}", fds.status().message());
  }

  absl::Status st = gateway->Start();
  if (!st.ok()) return Fail(std::string(st.message()));
  streamgate::TotalsReporter totals(gateway->pipeline(),
                                    absl::Seconds(totals_interval_s));
  totals.Start();

  streamgate::Server& server = *gateway;
  // Declared after the gateway, so destroyed first: a load in progress
  // finishes (after the drain below) before the gateway goes.
  streamgate::RegistryReloader reloader(
      [&]() -> absl::StatusOr<std::shared_ptr<const streamgate::DeviceTable>> {
        auto fresh = streamgate::LoadConfigFile(config_path, sections);
        if (!fresh.ok()) {
          server.ReloadRefused();
          return fresh.status();
        }
        std::shared_ptr<const streamgate::DeviceTable> devices = fresh->devices;
        // --log-level wins over the file's log_level, at reload too.
        absl::Status st =
            server.Reload(*std::move(fresh), sinks, log_level.empty());
        if (!st.ok()) return st;
        return devices;
      },
      [&](std::shared_ptr<const streamgate::DeviceTable> devices) {
        server.ReloadDevices(std::move(devices));
      });
  while (true) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      if (config_path.empty()) {
        spdlog::warn("SIGHUP: no config file to reload (embedded default)");
        continue;
      }
      reloader.Request();
      server.ReloadAdapters();
      continue;
    }
    spdlog::info("received {}", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  totals.Stop();
  const bool clean = gateway->Shutdown();
  totals.Final();
  spdlog::default_logger()->flush();
  if (!clean) {
    // A sink missed the deadline and its worker still runs: destroying the
    // pipeline under it would crash. Leave at once; a spool keeps the data.
    std::fflush(stdout);
    std::_Exit(1);
  }
  return 0;
}
