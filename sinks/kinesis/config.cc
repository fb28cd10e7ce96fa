#include "sinks/kinesis/config.h"

#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "gateway/api/config_reader.h"
#include "gateway/common/status_macros.h"
#include "sinks/aws/credentials_chain.h"
#include "sinks/aws/url.h"
#include "sinks/kinesis/kinesis_sink.h"
#include "yaml-cpp/yaml.h"

namespace streamgate {
namespace {

constexpr absl::string_view kKnownFields[] = {
    "type", "region", "stream_name", "endpoint", "role_arn", "external_id",
    "sts_endpoint", "dead_letter_path", "ca_file", "max_record_bytes",
    "max_records", "max_request_bytes", "linger_ms", "initial_backoff_ms",
    "max_backoff_ms", "request_timeout_ms", "connect_timeout_ms",
    "record_ttl_s", "max_in_flight", "verify_tls", "aggregation"};

// The fields of shard-aware sending (kept apart from the list above so the
// two grow without touching each other).
constexpr absl::string_view kShardFields[] = {"ordering", "shard_refresh_s",
                                              "rate_limit"};

// Kinesis keeps its own wording for unknown keys (the field list would be
// twenty names long).
absl::Status CheckKnownFields(const ConfigReader& sink) {
  for (const auto& kv : sink.node()) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
    bool known = false;
    for (absl::string_view k : kKnownFields) known |= (k == key);
    for (absl::string_view k : kShardFields) known |= (k == key);
    if (!known) {
      return FieldError(kv.first, sink.Field(key),
                        "unknown field for a kinesis sink");
    }
  }
  return absl::OkStatus();
}

// "sink.<key> (line of the sink map): must be set".
absl::Status Missing(const ConfigReader& sink, absl::string_view key) {
  return FieldError(sink.node(), sink.Field(key), "must be set");
}

absl::Status ReadString(const ConfigReader& sink, absl::string_view key,
                        std::string& out) {
  ASSIGN_OR_RETURN(auto v, sink.NonEmptyString(key));
  if (v) out = *std::move(v);
  return absl::OkStatus();
}

absl::Status ReadSize(const ConfigReader& sink, absl::string_view key,
                      size_t& out, int64_t min, int64_t max) {
  ASSIGN_OR_RETURN(auto v, sink.Int(key, min, max));
  if (v) out = static_cast<size_t>(*v);
  return absl::OkStatus();
}

absl::Status ReadMillis(const ConfigReader& sink, absl::string_view key,
                        absl::Duration& out, int64_t min, int64_t max) {
  ASSIGN_OR_RETURN(auto v, sink.Int(key, min, max));
  if (v) out = absl::Milliseconds(*v);
  return absl::OkStatus();
}

bool ValidRegion(const std::string& r) {
  if (r.size() > 64) return false;
  for (char c : r) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// Kinesis stream names: 1-128 of [a-zA-Z0-9_.-].
bool ValidStreamName(const std::string& n) {
  if (n.empty() || n.size() > 128) return false;
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

// `aggregation: {enabled, max_bytes}`. An aggregate is one Kinesis record,
// so it can be no bigger than one (checked once max_record_bytes is read).
absl::Status ReadAggregation(const ConfigReader& sink, KinesisConfig& c) {
  ASSIGN_OR_RETURN(ConfigReader agg, sink.Section("aggregation"));
  RETURN_IF_ERROR(agg.CheckKnownKeys({"enabled", "max_bytes"}));
  RETURN_IF_ERROR(agg.Read("enabled", c.aggregation_enabled));
  int64_t max_bytes = static_cast<int64_t>(c.aggregation_max_bytes);
  RETURN_IF_ERROR(agg.ReadBytes("max_bytes", max_bytes, 64,
                                static_cast<int64_t>(c.max_record_bytes)));
  c.aggregation_max_bytes = static_cast<size_t>(max_bytes);
  return absl::OkStatus();
}

absl::Status ReadFields(const ConfigReader& sink, KinesisConfig& c) {
  for (const auto& [key, member] :
       {std::pair<const char*, std::string KinesisConfig::*>{"region", &KinesisConfig::region},
        {"stream_name", &KinesisConfig::stream_name},
        {"endpoint", &KinesisConfig::endpoint},
        {"role_arn", &KinesisConfig::role_arn},
        {"external_id", &KinesisConfig::external_id},
        {"sts_endpoint", &KinesisConfig::sts_endpoint},
        {"dead_letter_path", &KinesisConfig::dead_letter_path},
        {"ca_file", &KinesisConfig::ca_file}}) {
    RETURN_IF_ERROR(ReadString(sink, key, c.*member));
  }
  RETURN_IF_ERROR(ReadSize(sink, "max_record_bytes", c.max_record_bytes, 2, 10485760));
  RETURN_IF_ERROR(ReadSize(sink, "max_records", c.max_records, 1, 500));
  RETURN_IF_ERROR(
      ReadSize(sink, "max_request_bytes", c.max_request_bytes, 2, 10 * 1048576));
  RETURN_IF_ERROR(ReadMillis(sink, "linger_ms", c.linger, 0, 60000));
  RETURN_IF_ERROR(ReadMillis(sink, "initial_backoff_ms", c.initial_backoff, 1, 600000));
  RETURN_IF_ERROR(ReadMillis(sink, "max_backoff_ms", c.max_backoff, 1, 3600000));
  RETURN_IF_ERROR(ReadMillis(sink, "request_timeout_ms", c.request_timeout, 100, 600000));
  RETURN_IF_ERROR(ReadMillis(sink, "connect_timeout_ms", c.connect_timeout, 100, 600000));
  ASSIGN_OR_RETURN(auto ttl, sink.Int("record_ttl_s", 1, 7 * 24 * 3600));
  if (ttl) c.record_ttl = absl::Seconds(*ttl);
  ASSIGN_OR_RETURN(auto in_flight, sink.Int("max_in_flight", 1, 256));
  if (in_flight) c.max_in_flight = static_cast<int>(*in_flight);
  RETURN_IF_ERROR(sink.Read("verify_tls", c.verify_tls));
  return ReadAggregation(sink, c);
}

// ordering, shard_refresh_s and the per-shard rate_limit map.
absl::Status ReadShardFields(const ConfigReader& sink, KinesisConfig& c) {
  std::string ordering = "per_key";
  RETURN_IF_ERROR(sink.Read("ordering", ordering));
  if (ordering != "per_key" && ordering != "none") {
    return sink.Error("ordering", "must be per_key or none");
  }
  c.ordering_per_key = ordering == "per_key";
  ASSIGN_OR_RETURN(auto refresh, sink.Int("shard_refresh_s", 1, 86400));
  if (refresh) c.shard_refresh = absl::Seconds(*refresh);
  ASSIGN_OR_RETURN(ConfigReader rate, sink.Section("rate_limit"));
  RETURN_IF_ERROR(rate.CheckKnownKeys({"records_per_s", "bytes_per_s", "adaptive"}));
  // Upper bounds far above a shard's 1,000 records/s and 1 MiB/s: a
  // stream with a raised limit, or an endpoint that is not AWS.
  ASSIGN_OR_RETURN(auto records, rate.Int("records_per_s", 1, 100000000));
  if (records) c.rate_records_per_s = static_cast<double>(*records);
  ASSIGN_OR_RETURN(auto bytes, rate.Bytes("bytes_per_s", 1024, int64_t{1} << 40));
  if (bytes) c.rate_bytes_per_s = static_cast<double>(*bytes);
  return rate.Read("adaptive", c.rate_adaptive);
}

absl::StatusOr<KinesisConfig> Parse(const ConfigReader& sink) {
  if (!sink.node().IsMap()) return sink.SectionError("must be a map");
  RETURN_IF_ERROR(CheckKnownFields(sink));
  KinesisConfig c;
  RETURN_IF_ERROR(ReadFields(sink, c));
  RETURN_IF_ERROR(ReadShardFields(sink, c));
  if (!sink.Has("region")) return Missing(sink, "region");
  if (!ValidRegion(c.region)) {
    return sink.Error("region", "must look like an AWS region, e.g. eu-west-1");
  }
  if (!sink.Has("stream_name")) return Missing(sink, "stream_name");
  if (!ValidStreamName(c.stream_name)) {
    return sink.Error("stream_name", "must be 1-128 characters of [A-Za-z0-9_.-]");
  }
  if (c.endpoint.empty()) {
    c.endpoint = absl::StrCat("https://kinesis.", c.region, ".amazonaws.com");
  } else if (auto ep = aws::ParseEndpoint(c.endpoint); !ep.ok()) {
    return sink.Error("endpoint", ep.status().message());
  }
  if (!c.sts_endpoint.empty()) {
    if (auto ep = aws::ParseEndpoint(c.sts_endpoint); !ep.ok()) {
      return sink.Error("sts_endpoint", ep.status().message());
    }
  }
  if (!c.external_id.empty() && c.role_arn.empty()) {
    return sink.Error("external_id",
                      "needs sink.role_arn (the external id is sent with AssumeRole)");
  }
  if (!c.role_arn.empty() && c.role_arn.rfind("arn:", 0) != 0) {
    return sink.Error("role_arn", "must be an ARN (arn:...)");
  }
  if (c.max_backoff < c.initial_backoff) {
    const YAML::Node at = sink.Has("max_backoff_ms") ? sink.Get("max_backoff_ms")
                                                      : sink.node();
    return FieldError(at, sink.Field("max_backoff_ms"),
                      "must be at least sink.initial_backoff_ms");
  }
  // max_record_bytes may exceed max_request_bytes (10 MiB streams): such a
  // record travels alone in its request.
  return c;
}

}  // namespace

absl::StatusOr<KinesisConfig> ParseKinesisConfig(const ConfigReader& sink) {
  try {
    return Parse(sink);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(sink.path(), ": invalid YAML: ", e.what()));
  }
}

namespace {

// The default AWS chain (plus AssumeRole when role_arn is set), built at
// Start: providers may read files and call the network.
kinesis::CredentialsFactory DefaultCredentials(const KinesisConfig& config) {
  return [config]() -> absl::StatusOr<std::unique_ptr<aws::CredentialsProvider>> {
    aws::CredentialsOptions options;
    options.region = config.region;
    options.role_arn = config.role_arn;
    options.external_id = config.external_id;
    options.sts_endpoint = config.sts_endpoint;
    options.connect_timeout = config.connect_timeout;
    options.ca_file = config.ca_file;
    options.verify_tls = config.verify_tls;
    return aws::MakeCredentialsProvider(options);
  };
}

class KinesisSinkFactory : public SinkFactory {
 public:
  std::string type() const override { return "kinesis"; }

  absl::StatusOr<std::unique_ptr<Sink>> Create(
      const ConfigReader& config, const SinkContext& context) const override {
    ASSIGN_OR_RETURN(KinesisConfig parsed, ParseKinesisConfig(config));
    return std::unique_ptr<Sink>(std::make_unique<kinesis::KinesisSink>(
        parsed, context, DefaultCredentials(parsed)));
  }
};

}  // namespace

std::unique_ptr<SinkFactory> MakeKinesisSinkFactory() {
  return std::make_unique<KinesisSinkFactory>();
}

}  // namespace streamgate
