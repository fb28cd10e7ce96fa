#include "gateway/server/gateway_summary.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "adapters/grpc/grpc_config.h"
#include "adapters/mqtt/config.h"
#include "gateway/api/config_reader.h"

#ifndef STREAMGATE_VERSION
#error "STREAMGATE_VERSION must be defined by the build"
#endif

namespace streamgate {
namespace {

std::string Scalar(const YAML::Node& map, const char* key) {
  if (!map.IsMap()) return "";
  const YAML::Node v = map[key];
  return v.IsDefined() && v.IsScalar() ? v.Scalar() : "";
}

std::string Subscriptions(const ModuleConfig& m) {
  std::vector<std::string> parts;
  if (m.all_events || !m.subscribe_events.empty()) {
    std::vector<std::string> types;
    if (m.all_events) types.push_back("*");
    types.insert(types.end(), m.subscribe_events.begin(),
                 m.subscribe_events.end());
    parts.push_back(absl::StrCat("events ", absl::StrJoin(types, ",")));
  }
  if (m.bulk_data_label) {
    parts.push_back(absl::StrCat("bulk label ", *m.bulk_data_label));
  }
  return absl::StrJoin(parts, "; ");
}

}  // namespace

const char* GatewayVersion() { return STREAMGATE_VERSION; }

std::string SinkTarget(const ModuleConfig& m) {
  if (m.sink_type == "file")
    return absl::StrCat("file ", Scalar(m.sink, "path"));
  if (m.sink_type == "kinesis") {
    std::string out =
        absl::StrCat("kinesis stream ", Scalar(m.sink, "stream_name"),
                     " (region ", Scalar(m.sink, "region"));
    const std::string endpoint = Scalar(m.sink, "endpoint");
    if (!endpoint.empty()) absl::StrAppend(&out, ", endpoint ", endpoint);
    return absl::StrCat(out, ")");
  }
  return m.sink_type;
}

std::vector<InputStatus> DescribeInputs(const GatewayConfig& config) {
  std::vector<InputStatus> inputs;
  const ConfigReader root(config.root, "");
  auto grpc = ParseGrpcAdapterConfig(root);
  if (grpc.ok()) {
    std::vector<std::string> detail;
    detail.push_back(grpc->grpc.tls.cert_file.empty() ? "plaintext" : "tls");
    if (!grpc->grpc.tls.client_ca_file.empty()) detail.push_back("mtls");
    detail.push_back(grpc->api_keys.empty()
                         ? "no api keys (anonymous)"
                         : absl::StrCat(grpc->api_keys.size(), " api key(s)"));
    inputs.push_back(
        {"grpc", grpc->grpc.listen, absl::StrJoin(detail, ", "), ""});
  }
  if (root.Has("mqtt")) {
    auto section = root.Section("mqtt");
    if (section.ok()) {
      auto mqtt = ParseMqttConfig(*section);
      if (mqtt.ok()) {
        std::vector<std::string> detail;
        detail.push_back(mqtt->tls ? "tls" : "plaintext");
        detail.push_back(absl::StrCat("qos ", mqtt->qos));
        if (!mqtt->client_id.empty()) {
          detail.push_back(absl::StrCat("client id ", mqtt->client_id));
        }
        if (!mqtt->shared_group.empty()) {
          detail.push_back(absl::StrCat("shared group ", mqtt->shared_group));
        }
        if (mqtt->default_home_id) {
          detail.push_back(
              absl::StrCat("default home ", *mqtt->default_home_id));
        }
        inputs.push_back({"mqtt", absl::StrCat("broker ", mqtt->broker()),
                          absl::StrJoin(detail, ", "), ""});
      }
    }
  }
  return inputs;
}

std::vector<std::string> StartupSummary(
    const GatewayConfig& config, const std::vector<InputStatus>& inputs) {
  std::vector<std::string> lines;
  lines.push_back(absl::StrCat("streamgate ", GatewayVersion(), ", config ",
                               config.source));
  for (const InputStatus& in : inputs) {
    lines.push_back(absl::StrCat("  input ", in.name, ": ", in.address, " (",
                                 in.detail, ")"));
  }
  for (const ModuleConfig& m : config.modules) {
    const std::string queue =
        m.spool ? absl::StrCat("spool ", m.spool->dir)
                : absl::StrCat("memory queue ", m.queue.max_records,
                               " records / ", m.queue.max_bytes, " bytes");
    lines.push_back(absl::StrCat("  module '", m.id, "': ", Subscriptions(m),
                                 " -> ", SinkTarget(m), "; ", queue,
                                 m.use_uuid ? "; uuid keys" : ""));
  }
  lines.push_back(
      absl::StrCat("  devices: ", config.devices->size(), " in the registry"));
  if (!config.metrics.listen.empty()) {
    lines.push_back(
        absl::StrCat("  metrics: http://", config.metrics.listen,
                     "/ (status page, /metrics, /healthz, /readyz)"));
  }
  if (config.dead_letter) {
    lines.push_back(absl::StrCat("  dead letters: ", config.dead_letter->path));
  }
  return lines;
}

std::string ModuleTotalsLine(absl::string_view label, const ModuleStatus& now,
                             const ModuleStatus* before,
                             absl::Duration interval) {
  std::string line = absl::StrCat("module '", now.id, "': ", label,
                                  " in=", now.records_accepted,
                                  " delivered=", now.records_delivered,
                                  " dead_lettered=", now.records_dead_lettered,
                                  " rejected_full=", now.records_rejected_full,
                                  " queued=", now.queue_depth);
  const double seconds = absl::ToDoubleSeconds(interval);
  if (before != nullptr && seconds > 0) {
    auto rate = [&](uint64_t a, uint64_t b) {
      return a >= b ? static_cast<double>(a - b) / seconds : 0.0;
    };
    absl::StrAppend(
        &line, absl::StrFormat(
                   " in_rate=%.1f/s delivered_rate=%.1f/s",
                   rate(now.records_accepted, before->records_accepted),
                   rate(now.records_delivered, before->records_delivered)));
  }
  return line;
}

}  // namespace streamgate
