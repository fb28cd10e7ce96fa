// Kinesis sink configuration: the validated form of a module's `sink` map
// (type: kinesis), read with the gateway's ConfigReader, and the factory
// that builds a KinesisSink from it. ParseKinesisConfig and the factory's
// Create do no I/O, so --check-config can use them. Plain values;
// thread-compatible.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gateway/api/sink.h"

namespace streamgate {

struct KinesisConfig {
  std::string region;
  std::string stream_name;
  std::string endpoint;  // full URL; defaults to https://kinesis.{region}.amazonaws.com
  std::string role_arn;
  std::string external_id;
  std::string sts_endpoint;
  size_t max_record_bytes = 1048576;      // data + partition key
  size_t max_records = 500;               // per PutRecords request
  size_t max_request_bytes = 5 * 1048576; // data + keys per request
  absl::Duration linger = absl::Milliseconds(100);
  int max_in_flight = 8;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(10);
  absl::Duration record_ttl = absl::Seconds(600);
  std::string dead_letter_path;  // empty: dead letters are logged, not written
  std::string ca_file;
  bool verify_tls = true;
  absl::Duration request_timeout = absl::Seconds(30);
  absl::Duration connect_timeout = absl::Seconds(5);
  // Shard-aware sending (README "Kinesis at scale").
  bool ordering_per_key = true;                      // ordering: per_key | none
  absl::Duration shard_refresh = absl::Seconds(60);  // shard_refresh_s
  double rate_records_per_s = 1000;                  // rate_limit.records_per_s
  double rate_bytes_per_s = 1048576;                 // rate_limit.bytes_per_s
  bool rate_adaptive = true;                         // rate_limit.adaptive
  // `aggregation:` KPL-format packing of a shard's user records.
  bool aggregation_enabled = false;
  size_t aggregation_max_bytes = 51200;  // one aggregated record (KPL default)
};

// Validates the module's `sink` map (path "sink"). Errors read
// "sink.<field> (line N): <why>"; integers and booleans use ConfigReader's
// wording, like every other section.
absl::StatusOr<KinesisConfig> ParseKinesisConfig(const ConfigReader& sink);

// Factory for `sink.type: kinesis`. The sink it builds uses the default AWS
// credentials chain (plus AssumeRole when role_arn is set).
std::unique_ptr<SinkFactory> MakeKinesisSinkFactory();

}  // namespace streamgate
