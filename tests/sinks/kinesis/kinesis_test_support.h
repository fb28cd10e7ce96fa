// Test support for the Kinesis sink's integration tests: starts kinesalite
// and the fault proxy (Node processes on 127.0.0.1, ephemeral ports, killed
// on destruction), static test credentials, and a client to create and read
// streams. Test-only; not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "sinks/aws/credentials_provider.h"
#include "sinks/aws/http_client.h"
#include "sinks/aws/url.h"
#include "sinks/kinesis/request_signer.h"
#include "tests/sinks/port_process.h"
#include "tools/tail/kinesis_api.h"
#include "tools/tail/stream_reader.h"

namespace streamgate::kinesis::testing {

using ::streamgate::testing::PortProcess;

inline std::string NodeModules() {
  return std::string(STREAMGATE_SOURCE_DIR) + "/tests/node_modules";
}

// In-memory kinesalite with instant stream creation.
inline absl::StatusOr<std::unique_ptr<PortProcess>> StartKinesalite() {
  std::string script = absl::StrCat(
      "const s = require('", NodeModules(), "/kinesalite')({createStreamMs: 0, "
      "deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50});"
      "s.listen(0, '127.0.0.1', () => process.stdout.write('PORT ' + "
      "s.address().port + '\\n'));"
      "process.on('SIGTERM', () => process.exit(0));");
  return PortProcess::Start({"node", "-e", script});
}

inline absl::StatusOr<std::unique_ptr<PortProcess>> StartFaultProxy(
    int upstream_port, const std::string& plan_json) {
  return PortProcess::Start(
      {"node", std::string(STREAMGATE_SOURCE_DIR) + "/tests/fakes/kinesis_fault_proxy.js",
       std::to_string(upstream_port), plan_json});
}

// Fixed dummy credentials (kinesalite checks the header's form, not the
// signature).
class StaticCredentials : public aws::CredentialsProvider {
 public:
  absl::StatusOr<aws::Credentials> GetCredentials() override {
    aws::Credentials c;
    c.access_key_id = "AKIDTESTTESTTESTTEST";
    c.secret_access_key = "test-secret-not-real";
    return c;
  }
};

// The sink's HTTP settings, with room for GetRecords answers.
inline aws::HttpOptions HttpTestOptions() {
  aws::HttpOptions o;
  o.request_timeout = absl::Seconds(30);
  o.max_response_bytes = 64 << 20;
  return o;
}

// Creates and reads streams on one endpoint.
class KinesisTestClient {
 public:
  explicit KinesisTestClient(const std::string& endpoint_url) {
    signer_ = std::make_unique<RequestSigner>(*aws::ParseEndpoint(endpoint_url),
                                              "us-east-1", credentials_);
    api_ = std::make_unique<KinesisApi>(http_, *signer_);
  }
  KinesisApi& api() { return *api_; }

  absl::Status CreateStream(const std::string& name, int shards) {
    return CreateStreamAndWait(*api_, name, shards, absl::Seconds(20));
  }

  // Every record of every shard, with the shards' hash ranges.
  absl::StatusOr<std::vector<StreamRecord>> ReadAll(const std::string& stream,
                                                    std::vector<ShardInfo>* shards) {
    StreamReader reader(*api_, stream);
    auto list = reader.ListShards();
    if (!list.ok()) return list.status();
    std::vector<StreamRecord> all;
    for (const ShardInfo& s : *list) {
      auto records = reader.ReadShard(s.shard_id);
      if (!records.ok()) return records.status();
      for (auto& r : *records) all.push_back(std::move(r));
    }
    if (shards) *shards = *list;
    return all;
  }

 private:
  StaticCredentials credentials_;
  aws::HttpClient http_{HttpTestOptions()};
  std::unique_ptr<RequestSigner> signer_;
  std::unique_ptr<KinesisApi> api_;
};

}  // namespace streamgate::kinesis::testing
