#include "tools/sim/sim_options.h"

#include <cstdlib>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_FLAG(std::string, transport, "mqtt", "mqtt or grpc");
ABSL_FLAG(std::string, target, "",
          "HOST:PORT of the MQTT broker (default 127.0.0.1:1883) or the "
          "gateway's gRPC port (default 127.0.0.1:50051)");
ABSL_FLAG(int, devices, 10, "number of simulated devices");
ABSL_FLAG(int64_t, first_device_id, 1, "id of the first device");
ABSL_FLAG(std::string, events, "",
          "JSON file: a list of {\"eventType\": ..., \"eventData\": {...}} "
          "templates, published round-robin");
ABSL_FLAG(std::string, bulk_label, "",
          "also publish bulk data (MessagePack, spec 1.2) under this label");
ABSL_FLAG(int, bulk_records, 4, "records per bulk-data payload");
ABSL_FLAG(int, bulk_record_bytes, 32, "bytes per bulk-data record");
ABSL_FLAG(double, rate, 0,
          "messages per second over all devices; 0 = as fast as possible");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10),
          "how long to run when --count is 0");
ABSL_FLAG(int64_t, count, 0, "messages to send (events + bulk payloads); 0 = "
          "run for --duration");
ABSL_FLAG(int, qos, 1, "MQTT QoS, 0 or 1");
ABSL_FLAG(bool, mqtt_auth_device_id, false,
          "MQTT: one connection per device, username = the device id");
ABSL_FLAG(std::string, mqtt_password, "",
          "MQTT password with --mqtt_auth_device_id (default: none)");
ABSL_FLAG(std::string, grpc_mode, "stream",
          "gRPC: stream (Publish, batches) or unary (PublishEvent / "
          "PublishBulkData)");
ABSL_FLAG(int, batch, 1, "gRPC stream: events per request (EventBatch if > 1)");
ABSL_FLAG(int, window, 256,
          "messages (MQTT QoS 1) or requests (gRPC stream) unanswered at most");
ABSL_FLAG(int, inflight, 8, "gRPC unary: concurrent calls");
ABSL_FLAG(int64_t, home_id, 0,
          "gRPC: home_id of each event; 0 = the gateway's registry supplies it");
ABSL_FLAG(std::string, api_key_env, "STREAMGATE_API_KEY",
          "gRPC: environment variable holding the API key (sent as "
          "'authorization: Bearer <key>' when set); never on the command line");
ABSL_FLAG(bool, quiet, false, "no per-second progress lines");
ABSL_FLAG(std::string, gateway_config, "",
          "the gateway's config file: warn about devices it refuses, event "
          "types and labels no module takes, and count MQTT messages it "
          "refused as failed");
ABSL_FLAG(std::string, gateway_metrics, "",
          "the gateway's metrics HOST:PORT: after an MQTT run, report what its "
          "own counters say it accepted and rejected, and count the rejected "
          "as failed");

namespace streamgate::sim {

const char* TransportName(Transport t) {
  return t == Transport::kMqtt ? "mqtt" : "grpc";
}

absl::StatusOr<SimOptions> SimOptionsFromFlags() {
  SimOptions o;
  const std::string transport = absl::GetFlag(FLAGS_transport);
  if (transport == "mqtt") {
    o.transport = Transport::kMqtt;
  } else if (transport == "grpc") {
    o.transport = Transport::kGrpc;
  } else {
    return absl::InvalidArgumentError("--transport: must be mqtt or grpc");
  }
  o.target = absl::GetFlag(FLAGS_target);
  if (o.target.empty()) {
    o.target = o.transport == Transport::kMqtt ? "127.0.0.1:1883"
                                               : "127.0.0.1:50051";
  }
  if (o.target.find(':') == std::string::npos) {
    return absl::InvalidArgumentError("--target: must be HOST:PORT");
  }
  o.devices = absl::GetFlag(FLAGS_devices);
  if (o.devices < 1) return absl::InvalidArgumentError("--devices: must be >= 1");
  o.first_device_id = absl::GetFlag(FLAGS_first_device_id);
  if (o.first_device_id < 1) {
    return absl::InvalidArgumentError("--first_device_id: must be >= 1");
  }
  o.events_file = absl::GetFlag(FLAGS_events);
  o.bulk_label = absl::GetFlag(FLAGS_bulk_label);
  o.gateway_config = absl::GetFlag(FLAGS_gateway_config);
  o.gateway_metrics = absl::GetFlag(FLAGS_gateway_metrics);
  if (o.events_file.empty() && o.bulk_label.empty()) {
    return absl::InvalidArgumentError(
        "nothing to send: give --events FILE and/or --bulk_label LABEL");
  }
  if (o.bulk_label.find_first_of("/+#") != std::string::npos) {
    return absl::InvalidArgumentError(
        "--bulk_label: must not contain '/', '+' or '#'");
  }
  o.bulk_records = absl::GetFlag(FLAGS_bulk_records);
  if (o.bulk_records < 0) {
    return absl::InvalidArgumentError("--bulk_records: must be >= 0");
  }
  o.bulk_record_bytes = absl::GetFlag(FLAGS_bulk_record_bytes);
  if (o.bulk_record_bytes < 1) {
    return absl::InvalidArgumentError("--bulk_record_bytes: must be >= 1");
  }
  o.rate = absl::GetFlag(FLAGS_rate);
  if (o.rate < 0) return absl::InvalidArgumentError("--rate: must be >= 0");
  o.duration = absl::GetFlag(FLAGS_duration);
  o.count = absl::GetFlag(FLAGS_count);
  if (o.count < 0) return absl::InvalidArgumentError("--count: must be >= 0");
  if (o.count == 0 && o.duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--duration: must be > 0 without --count");
  }
  o.qos = absl::GetFlag(FLAGS_qos);
  if (o.qos != 0 && o.qos != 1) {
    return absl::InvalidArgumentError("--qos: must be 0 or 1");
  }
  o.mqtt_auth_device_id = absl::GetFlag(FLAGS_mqtt_auth_device_id);
  o.mqtt_password = absl::GetFlag(FLAGS_mqtt_password);
  const std::string mode = absl::GetFlag(FLAGS_grpc_mode);
  if (mode == "stream") {
    o.grpc_mode = GrpcMode::kStream;
  } else if (mode == "unary") {
    o.grpc_mode = GrpcMode::kUnary;
  } else {
    return absl::InvalidArgumentError("--grpc_mode: must be stream or unary");
  }
  o.batch = absl::GetFlag(FLAGS_batch);
  if (o.batch < 1) return absl::InvalidArgumentError("--batch: must be >= 1");
  o.window = absl::GetFlag(FLAGS_window);
  if (o.window < 1) return absl::InvalidArgumentError("--window: must be >= 1");
  o.inflight = absl::GetFlag(FLAGS_inflight);
  if (o.inflight < 1) {
    return absl::InvalidArgumentError("--inflight: must be >= 1");
  }
  o.home_id = absl::GetFlag(FLAGS_home_id);
  if (o.home_id < 0) return absl::InvalidArgumentError("--home_id: must be >= 0");
  const std::string env = absl::GetFlag(FLAGS_api_key_env);
  if (!env.empty()) {
    if (const char* key = std::getenv(env.c_str())) o.api_key = key;
  }
  o.quiet = absl::GetFlag(FLAGS_quiet);
  return o;
}

}  // namespace streamgate::sim
