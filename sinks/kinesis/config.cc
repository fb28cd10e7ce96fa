#include "sinks/kinesis/config.h"

#include <functional>
#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sinks/aws/credentials_chain.h"
#include "sinks/aws/endpoint.h"
#include "sinks/kinesis/kinesis_sink.h"
#include "yaml-cpp/yaml.h"

namespace streamgate {
namespace {

absl::Status FieldError(const std::string& field, const YAML::Node& node,
                        absl::string_view why) {
  // The gateway's format: "sink.<field> (line N): <why>".
  return absl::InvalidArgumentError(absl::StrCat(
      "sink.", field, " (line ", node.Mark().line + 1, "): ", why));
}

absl::StatusOr<std::string> ScalarString(const std::string& field,
                                         const YAML::Node& node) {
  if (!node.IsScalar()) return FieldError(field, node, "must be a string");
  return node.Scalar();
}

absl::StatusOr<std::string> NonEmptyString(const std::string& field,
                                           const YAML::Node& node) {
  auto s = ScalarString(field, node);
  if (!s.ok()) return s.status();
  if (s->empty()) return FieldError(field, node, "must not be empty");
  return s;
}

absl::StatusOr<uint64_t> UInt(const std::string& field, const YAML::Node& node,
                              uint64_t min, uint64_t max) {
  uint64_t v = 0;
  if (!node.IsScalar() || !absl::SimpleAtoi(node.Scalar(), &v)) {
    return FieldError(field, node, "must be a non-negative integer");
  }
  if (v < min || v > max) {
    return FieldError(field, node,
                      absl::StrCat("must be between ", min, " and ", max));
  }
  return v;
}

absl::StatusOr<bool> Bool(const std::string& field, const YAML::Node& node) {
  if (node.IsScalar()) {
    const std::string& s = node.Scalar();
    if (s == "true" || s == "True" || s == "yes") return true;
    if (s == "false" || s == "False" || s == "no") return false;
  }
  return FieldError(field, node, "must be true or false");
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

using Setter = std::function<absl::Status(const std::string&, const YAML::Node&,
                                          KinesisConfig&)>;

Setter StringField(std::string KinesisConfig::*member) {
  return [member](const std::string& f, const YAML::Node& n, KinesisConfig& c) {
    auto s = NonEmptyString(f, n);
    if (!s.ok()) return s.status();
    c.*member = *std::move(s);
    return absl::OkStatus();
  };
}

Setter SizeField(size_t KinesisConfig::*member, uint64_t min, uint64_t max) {
  return [=](const std::string& f, const YAML::Node& n, KinesisConfig& c) {
    auto v = UInt(f, n, min, max);
    if (!v.ok()) return v.status();
    c.*member = static_cast<size_t>(*v);
    return absl::OkStatus();
  };
}

Setter MillisField(absl::Duration KinesisConfig::*member, uint64_t min,
                   uint64_t max) {
  return [=](const std::string& f, const YAML::Node& n, KinesisConfig& c) {
    auto v = UInt(f, n, min, max);
    if (!v.ok()) return v.status();
    c.*member = absl::Milliseconds(static_cast<int64_t>(*v));
    return absl::OkStatus();
  };
}

const std::map<std::string, Setter>& Fields() {
  static const auto* fields = new std::map<std::string, Setter>{
      {"type", [](const std::string&, const YAML::Node&, KinesisConfig&) {
         return absl::OkStatus();
       }},
      {"region", StringField(&KinesisConfig::region)},
      {"stream_name", StringField(&KinesisConfig::stream_name)},
      {"endpoint", StringField(&KinesisConfig::endpoint)},
      {"role_arn", StringField(&KinesisConfig::role_arn)},
      {"external_id", StringField(&KinesisConfig::external_id)},
      {"sts_endpoint", StringField(&KinesisConfig::sts_endpoint)},
      {"dead_letter_path", StringField(&KinesisConfig::dead_letter_path)},
      {"ca_file", StringField(&KinesisConfig::ca_file)},
      {"max_record_bytes", SizeField(&KinesisConfig::max_record_bytes, 2, 10485760)},
      {"max_records", SizeField(&KinesisConfig::max_records, 1, 500)},
      {"max_request_bytes",
       SizeField(&KinesisConfig::max_request_bytes, 2, 5 * 1048576)},
      {"linger_ms", MillisField(&KinesisConfig::linger, 0, 60000)},
      {"initial_backoff_ms", MillisField(&KinesisConfig::initial_backoff, 1, 600000)},
      {"max_backoff_ms", MillisField(&KinesisConfig::max_backoff, 1, 3600000)},
      {"request_timeout_ms",
       MillisField(&KinesisConfig::request_timeout, 100, 600000)},
      {"connect_timeout_ms",
       MillisField(&KinesisConfig::connect_timeout, 100, 600000)},
      {"record_ttl_s",
       [](const std::string& f, const YAML::Node& n, KinesisConfig& c) {
         auto v = UInt(f, n, 1, 7 * 24 * 3600);
         if (!v.ok()) return v.status();
         c.record_ttl = absl::Seconds(static_cast<int64_t>(*v));
         return absl::OkStatus();
       }},
      {"max_in_flight",
       [](const std::string& f, const YAML::Node& n, KinesisConfig& c) {
         auto v = UInt(f, n, 1, 256);
         if (!v.ok()) return v.status();
         c.max_in_flight = static_cast<int>(*v);
         return absl::OkStatus();
       }},
      {"verify_tls",
       [](const std::string& f, const YAML::Node& n, KinesisConfig& c) {
         auto v = Bool(f, n);
         if (!v.ok()) return v.status();
         c.verify_tls = *v;
         return absl::OkStatus();
       }},
  };
  return *fields;
}

absl::StatusOr<KinesisConfig> Parse(const YAML::Node& sink) {
  if (!sink.IsMap()) {
    return absl::InvalidArgumentError(
        absl::StrCat("sink (line ", sink.Mark().line + 1, "): must be a map"));
  }
  KinesisConfig c;
  for (const auto& kv : sink) {
    std::string key = kv.first.Scalar();
    auto it = Fields().find(key);
    if (it == Fields().end()) {
      return FieldError(key, kv.first, "unknown field for a kinesis sink");
    }
    absl::Status s = it->second(key, kv.second, c);
    if (!s.ok()) return s;
  }
  if (!sink["region"]) {
    return FieldError("region", sink, "must be set");
  }
  if (!ValidRegion(c.region)) {
    return FieldError("region", sink["region"],
                      "must look like an AWS region, e.g. eu-west-1");
  }
  if (!sink["stream_name"]) return FieldError("stream_name", sink, "must be set");
  if (!ValidStreamName(c.stream_name)) {
    return FieldError("stream_name", sink["stream_name"],
                      "must be 1-128 characters of [A-Za-z0-9_.-]");
  }
  if (c.endpoint.empty()) {
    c.endpoint = absl::StrCat("https://kinesis.", c.region, ".amazonaws.com");
  } else if (auto ep = kinesis::ParseEndpoint(c.endpoint); !ep.ok()) {
    return FieldError("endpoint", sink["endpoint"], ep.status().message());
  }
  if (!c.sts_endpoint.empty()) {
    if (auto ep = kinesis::ParseEndpoint(c.sts_endpoint); !ep.ok()) {
      return FieldError("sts_endpoint", sink["sts_endpoint"], ep.status().message());
    }
  }
  if (!c.external_id.empty() && c.role_arn.empty()) {
    return FieldError("external_id", sink["external_id"],
                      "needs sink.role_arn (the external id is sent with AssumeRole)");
  }
  if (!c.role_arn.empty() && c.role_arn.rfind("arn:", 0) != 0) {
    return FieldError("role_arn", sink["role_arn"], "must be an ARN (arn:...)");
  }
  if (c.max_backoff < c.initial_backoff) {
    return FieldError("max_backoff_ms", sink["max_backoff_ms"] ? sink["max_backoff_ms"] : sink,
                      "must be at least sink.initial_backoff_ms");
  }
  // max_record_bytes may exceed max_request_bytes (10 MiB streams): such a
  // record travels alone in its request.
  return c;
}

}  // namespace

absl::StatusOr<KinesisConfig> ParseKinesisConfig(const YAML::Node& sink) {
  try {
    return Parse(sink);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("sink: invalid YAML: ", e.what()));
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
      const YAML::Node& config, const SinkContext& context) const override {
    absl::StatusOr<KinesisConfig> parsed = ParseKinesisConfig(config);
    if (!parsed.ok()) return parsed.status();
    return std::unique_ptr<Sink>(std::make_unique<kinesis::KinesisSink>(
        *parsed, context, DefaultCredentials(*parsed)));
  }
};

}  // namespace

std::unique_ptr<SinkFactory> MakeKinesisSinkFactory() {
  return std::make_unique<KinesisSinkFactory>();
}

}  // namespace streamgate
