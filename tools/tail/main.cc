// streamgate-tail: prints the records of a Kinesis stream, one JSON line
// each ({"shardId","sequenceNumber","partitionKey","data"(base64)}), from
// every shard, from the oldest or the latest record, optionally following
// new ones; with --deaggregate, one line per user record of a KPL
// aggregated record. Uses the sink's signer, the shared AWS HTTP client and
// credentials chain, so it sees the stream the way the gateway does.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sinks/aws/credentials_chain.h"
#include "sinks/aws/http_client.h"
#include "sinks/aws/url.h"
#include "sinks/kinesis/request_signer.h"
#include "tools/tail/kinesis_api.h"
#include "tools/tail/record_printer.h"
#include "tools/tail/stream_reader.h"

namespace streamgate::kinesis {
namespace {

constexpr char kUsage[] =
    "usage: streamgate-tail --stream NAME [--region REGION] [--endpoint URL]\n"
    "                       [--from oldest|latest] [--follow] [--role-arn ARN\n"
    "                       [--external-id ID]] [--ca-file PEM] [--insecure]\n"
    "                       [--deaggregate]\n"
    "Prints every record of every shard as one JSON line:\n"
    "  {\"shardId\":..,\"sequenceNumber\":..,\"partitionKey\":..,\"data\":\"<base64>\"}\n"
    "--deaggregate: a line per user record of a KPL aggregated record, with\n"
    "its own partitionKey and a \"subSequenceNumber\"; plain records, and\n"
    "aggregates with a bad checksum (with a warning), print as they are.\n"
    "Credentials come from the AWS default chain (environment, profile, web\n"
    "identity, container, instance metadata). --region defaults to\n"
    "AWS_REGION / AWS_DEFAULT_REGION.\n";

struct Options {
  std::string stream;
  std::string region;
  std::string endpoint;
  std::string from = "oldest";
  bool follow = false;
  std::string role_arn;
  std::string external_id;
  std::string ca_file;
  bool verify_tls = true;
  bool deaggregate = false;
};

bool ParseArgs(int argc, char** argv, Options& o, std::string& error) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        error = absl::StrCat(a, " needs a value");
        return false;
      }
      out = argv[++i];
      return true;
    };
    if (a == "--stream") {
      if (!value(o.stream)) return false;
    } else if (a == "--region") {
      if (!value(o.region)) return false;
    } else if (a == "--endpoint") {
      if (!value(o.endpoint)) return false;
    } else if (a == "--from") {
      if (!value(o.from)) return false;
      if (o.from != "oldest" && o.from != "latest") {
        error = "--from must be oldest or latest";
        return false;
      }
    } else if (a == "--follow") {
      o.follow = true;
    } else if (a == "--role-arn") {
      if (!value(o.role_arn)) return false;
    } else if (a == "--external-id") {
      if (!value(o.external_id)) return false;
    } else if (a == "--ca-file") {
      if (!value(o.ca_file)) return false;
    } else if (a == "--insecure") {
      o.verify_tls = false;
    } else if (a == "--deaggregate") {
      o.deaggregate = true;
    } else {
      error = absl::StrCat("unknown argument ", a);
      return false;
    }
  }
  if (o.region.empty()) {
    for (const char* var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
      if (const char* v = std::getenv(var); v != nullptr && *v) {
        o.region = v;
        break;
      }
    }
  }
  if (o.stream.empty()) {
    error = "--stream is required";
    return false;
  }
  if (o.region.empty()) {
    error = "--region is required (or set AWS_REGION)";
    return false;
  }
  if (o.endpoint.empty()) {
    o.endpoint = absl::StrCat("https://kinesis.", o.region, ".amazonaws.com");
  }
  return true;
}

void PrintRecord(const StreamRecord& r, bool deaggregate) {
  std::string lines;
  if (deaggregate) {
    std::string warning;
    lines = FormatDeaggregated(r, warning);
    if (!warning.empty()) std::cerr << "streamgate-tail: " << warning << "\n";
  } else {
    lines = FormatRecord(r);
  }
  std::fwrite(lines.data(), 1, lines.size(), stdout);
}

struct ShardCursor {
  std::string shard_id;
  std::string iterator;
  bool done = false;
};

int Run(const Options& o) {
  absl::StatusOr<aws::Url> endpoint = aws::ParseEndpoint(o.endpoint);
  if (!endpoint.ok()) {
    std::cerr << "streamgate-tail: --endpoint: " << endpoint.status().message() << "\n";
    return 2;
  }
  aws::CredentialsOptions copts;
  copts.region = o.region;
  copts.role_arn = o.role_arn;
  copts.external_id = o.external_id;
  copts.ca_file = o.ca_file;
  copts.verify_tls = o.verify_tls;
  auto credentials = aws::MakeCredentialsProvider(copts);
  if (!credentials.ok()) {
    std::cerr << "streamgate-tail: credentials: " << credentials.status().message()
              << "\n";
    return 2;
  }
  aws::HttpOptions hopts;
  // GetRecords answers hold up to 10 MB of data, base64 in JSON.
  hopts.max_response_bytes = 64 << 20;
  hopts.max_in_flight = 2;
  // The sink's request timeout (KinesisConfig's default).
  hopts.request_timeout = absl::Seconds(30);
  hopts.ca_file = o.ca_file;
  hopts.verify_tls = o.verify_tls;
  aws::HttpClient http(hopts);
  RequestSigner signer(*endpoint, o.region, **credentials);
  KinesisApi api(http, signer);
  StreamReader reader(api, o.stream);

  auto shards = reader.ListShards();
  if (!shards.ok()) {
    std::cerr << "streamgate-tail: " << shards.status().message() << "\n";
    return 1;
  }
  std::vector<ShardCursor> cursors;
  for (const ShardInfo& s : *shards) {
    auto it = reader.GetShardIterator(s.shard_id,
                                      o.from == "oldest" ? "TRIM_HORIZON" : "LATEST");
    if (!it.ok()) {
      std::cerr << "streamgate-tail: " << it.status().message() << "\n";
      return 1;
    }
    cursors.push_back(ShardCursor{s.shard_id, *it});
  }
  while (true) {
    bool any_records = false;
    bool all_done = true;
    for (ShardCursor& c : cursors) {
      if (c.done) continue;
      auto page = reader.GetRecords(c.shard_id, c.iterator, 10000);
      if (!page.ok()) {
        if (page.status().code() == absl::StatusCode::kUnavailable) {
          // Throttled (5 reads/s per shard): back off and try again.
          std::this_thread::sleep_for(std::chrono::milliseconds(500));
          all_done = false;
          continue;
        }
        std::cerr << "streamgate-tail: " << page.status().message() << "\n";
        return 1;
      }
      for (const StreamRecord& r : page->records) PrintRecord(r, o.deaggregate);
      any_records |= !page->records.empty();
      c.iterator = page->next_iterator;
      if (c.iterator.empty() ||
          (!o.follow && page->records.empty() && page->millis_behind_latest == 0)) {
        c.done = true;
      } else {
        all_done = false;
      }
    }
    std::fflush(stdout);
    if (all_done) return 0;
    // AWS allows 5 GetRecords per second per shard.
    if (!any_records) std::this_thread::sleep_for(std::chrono::milliseconds(o.follow ? 1000 : 200));
  }
}

}  // namespace
}  // namespace streamgate::kinesis

int main(int argc, char** argv) {
  streamgate::kinesis::Options options;
  std::string error;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::cout << streamgate::kinesis::kUsage;
      return 0;
    }
  }
  if (!streamgate::kinesis::ParseArgs(argc, argv, options, error)) {
    std::cerr << "streamgate-tail: " << error << "\n" << streamgate::kinesis::kUsage;
    return 2;
  }
  return streamgate::kinesis::Run(options);
}
