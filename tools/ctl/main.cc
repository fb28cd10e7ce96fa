// streamgate-ctl: looks at a running gateway through its Admin service.
//
//   streamgate-ctl [--target HOST:PORT] [--key KEY] [--ca FILE] modules
//   streamgate-ctl [...] logs MODULE [--level LEVEL] [--limit N]
//   streamgate-ctl [--metrics HOST:PORT] [--key KEY] status [--interval S]
//
// `modules` and `logs` use the Admin service on the gRPC port; `status`
// reads /status.json on the metrics port (what the status page shows).
// The API key may also come from the STREAMGATE_API_KEY environment variable
// (better than the command line, which other users can see in ps).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <curl/curl.h>

#include "absl/strings/numbers.h"
#include "tools/ctl/admin_client.h"
#include "tools/ctl/status_client.h"

namespace {

constexpr char kUsage[] =
    "usage: streamgate-ctl [--target HOST:PORT] [--key KEY] [--ca FILE]\n"
    "                      [--timeout SECONDS] COMMAND\n"
    "\n"
    "commands:\n"
    "  modules                      every module: sink, state, counters,\n"
    "                               subscriptions and its last error\n"
    "  logs MODULE [--level LEVEL] [--limit N]\n"
    "                               the module's recent log entries, oldest\n"
    "                               first (LEVEL: trace, debug, info, warn,\n"
    "                               error, critical; N: newest N, default 100)\n"
    "  status [--interval S]        from the metrics port's /status.json:\n"
    "                               readiness, each module's state, rates\n"
    "                               (over S seconds, default 1; 0: none),\n"
    "                               queue, counts, sink and last error, and\n"
    "                               each input's address and state\n"
    "\n"
    "options:\n"
    "  --target HOST:PORT  the gateway's gRPC address (default 127.0.0.1:50051)\n"
    "  --key KEY           API key (default: $STREAMGATE_API_KEY)\n"
    "  --ca FILE           use TLS, trusting the CA certificate in FILE\n"
    "  --metrics HOST:PORT the gateway's metrics.listen, for status\n"
    "                      (default 127.0.0.1:9464)\n"
    "  --timeout SECONDS   per call (default 10)\n"
    "\n"
    "exit status: 0 ok, 1 the call failed, 2 usage error\n";

int Usage(const std::string& why) {
  std::fprintf(stderr, "streamgate-ctl: %s\n\n%s", why.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  streamgate::ctl::ClientOptions options;
  if (const char* key = std::getenv("STREAMGATE_API_KEY")) options.api_key = key;
  streamgate::ctl::StatusOptions status_options;
  std::string level;
  uint32_t limit = 0;
  bool interval_set = false;
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--target") {
      if (!value(&options.target)) return Usage("--target needs HOST:PORT");
    } else if (a == "--key") {
      if (!value(&options.api_key)) return Usage("--key needs a value");
    } else if (a == "--ca") {
      if (!value(&options.ca_file)) return Usage("--ca needs a file");
    } else if (a == "--timeout") {
      double seconds = 0;
      if (!value(&v) || !absl::SimpleAtod(v, &seconds) || seconds <= 0) {
        return Usage("--timeout needs a positive number of seconds");
      }
      options.timeout = absl::Seconds(seconds);
    } else if (a == "--metrics") {
      if (!value(&status_options.metrics)) {
        return Usage("--metrics needs HOST:PORT");
      }
    } else if (a == "--interval") {
      double seconds = -1;
      if (!value(&v) || !absl::SimpleAtod(v, &seconds) || seconds < 0 ||
          seconds > 3600) {
        return Usage("--interval needs a number of seconds (0..3600)");
      }
      status_options.interval = absl::Seconds(seconds);
      interval_set = true;
    } else if (a == "--level") {
      if (!value(&level)) return Usage("--level needs a level");
    } else if (a == "--limit") {
      if (!value(&v) || !absl::SimpleAtoi(v, &limit) || limit == 0) {
        return Usage("--limit needs a positive number");
      }
    } else if (!a.empty() && a[0] == '-') {
      return Usage("unknown option " + a);
    } else {
      args.push_back(a);
    }
  }
  if (args.empty()) return Usage("no command");
  if (interval_set && args[0] != "status") {
    return Usage("--interval is for status");
  }
  if (args[0] == "status") {
    if (args.size() != 1) return Usage("status takes no arguments");
    if (!level.empty() || limit != 0) {
      return Usage("--level and --limit are for logs");
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    status_options.api_key = options.api_key;
    status_options.timeout = options.timeout;
    auto out = streamgate::ctl::FetchStatus(status_options);
    if (!out.ok()) {
      std::fprintf(stderr, "streamgate-ctl: %s\n",
                   std::string(out.status().message()).c_str());
      return 1;
    }
    std::fputs(out->c_str(), stdout);
    return 0;
  }

  auto client = streamgate::ctl::AdminClient::Create(options);
  if (!client.ok()) {
    std::fprintf(stderr, "streamgate-ctl: %s\n",
                 std::string(client.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::string> out;
  if (args[0] == "modules" && args.size() == 1) {
    if (!level.empty() || limit != 0) {
      return Usage("--level and --limit are for logs");
    }
    out = (*client)->Modules();
  } else if (args[0] == "logs" && args.size() == 2) {
    out = (*client)->Logs(args[1], level, limit);
  } else if (args[0] == "logs") {
    return Usage("logs needs exactly one MODULE");
  } else {
    return Usage("unknown command '" + args[0] + "'");
  }
  if (!out.ok()) {
    std::fprintf(stderr, "streamgate-ctl: %s\n",
                 std::string(out.status().message()).c_str());
    return 1;
  }
  std::fputs(out->c_str(), stdout);
  return 0;
}
